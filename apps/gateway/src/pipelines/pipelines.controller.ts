import { Body, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { PageQuery } from '../common/pagination';
import { PipelineParams, ProjectParams } from '../common/params';
import { CreatePipelineDto, PipelineJson, UpdatePipelineDto } from './pipelines.dto';
import { PipelinesService } from './pipelines.service';

@ApiController('projects/:id/pipelines', 'pipelines')
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a pipeline: inline yaml_config (validated) or read from config_path' })
  @ApiCreatedResponse({ type: PipelineJson })
  create(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Body() dto: CreatePipelineDto) {
    return this.pipelines.create(actor, params.id, dto);
  }

  @Get()
  @ApiPageResponse(PipelineJson)
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Query() query: PageQuery) {
    return this.pipelines.list(actor, params.id, query);
  }

  @Get(':pid')
  @ApiOkResponse({ type: PipelineJson })
  get(@CurrentActor() actor: Actor, @Param() params: PipelineParams) {
    return this.pipelines.get(actor, params.id, params.pid);
  }

  @Put(':pid')
  @ApiOperation({ summary: 'Change a pipeline (fields given are replaced)' })
  @ApiOkResponse({ type: PipelineJson })
  update(@CurrentActor() actor: Actor, @Param() params: PipelineParams, @Body() dto: UpdatePipelineDto) {
    return this.pipelines.update(actor, params.id, params.pid, dto);
  }

  @Delete(':pid')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param() params: PipelineParams) {
    return this.pipelines.remove(actor, params.id, params.pid);
  }
}
