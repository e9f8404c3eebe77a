import { Get, Param, Res } from '@nestjs/common';
import { ApiOperation } from '../common/api-docs';
import { Response } from 'express';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { ArtifactParams, RunArtifactParams, RunParams } from '../common/params';
import { ArtifactJson } from './artifacts.dto';
import { ArtifactsService } from './artifacts.service';

@ApiController('projects/:id', 'artifacts')
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Get('runs/:rid/artifacts')
  @ApiPageResponse(ArtifactJson)
  @ApiOperation({ summary: "A run's artifacts (expired ones are left out)" })
  list(@CurrentActor() actor: Actor, @Param() params: RunParams) {
    return this.artifacts.list(actor, params.id, params.rid);
  }

  @Get('runs/:rid/artifacts/:aid/download')
  @ApiOperation({ summary: 'Download an artifact: a redirect to a presigned URL (S3) or the file itself' })
  download(@CurrentActor() actor: Actor, @Param() params: RunArtifactParams, @Res() res: Response) {
    return this.artifacts.download(actor, params.id, params.aid, params.rid, res);
  }

  @Get('artifacts/:aid/download')
  @ApiOperation({ summary: 'Download an artifact by its id alone' })
  downloadById(@CurrentActor() actor: Actor, @Param() params: ArtifactParams, @Res() res: Response) {
    return this.artifacts.download(actor, params.id, params.aid, undefined, res);
  }
}
