import { Get, Param } from '@nestjs/common';
import { ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ProjectParams } from '../common/params';
import { DeploymentsService } from './deployments.service';

@ApiController('projects/:id/deployments', 'deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @ApiOperation({ summary: "The project's desired deployment (image built by its last deploying run)" })
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams) {
    return this.deployments.list(actor, params.id);
  }
}
