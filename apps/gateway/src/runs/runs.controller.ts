import { Body, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation } from '../common/api-docs';
import { Response } from 'express';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { PipelineParams, ProjectParams, RunParams, StepParams } from '../common/params';
import { RunAccepted, RunCommandsService } from './run-commands.service';
import { CancelRunDto, CreateRunDto, DecideStepDto, RetryRunDto, RunJson, RunsQuery } from './runs.dto';
import { RunsService } from './runs.service';

@ApiController('projects/:id', 'runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly commands: RunCommandsService,
  ) {}

  @Post('pipelines/:pid/runs')
  @ApiOperation({ summary: 'Start a manual run of a pipeline at git_ref' })
  @ApiCreatedResponse({ type: RunJson, description: 'the run, once the scheduler created it' })
  @ApiAcceptedResponse({ description: '{id, status: "queued"} when the scheduler has not created it yet' })
  async start(
    @CurrentActor() actor: Actor,
    @Param() params: PipelineParams,
    @Body() dto: CreateRunDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return answer(res, await this.commands.start(actor, params.id, params.pid, dto.git_ref, dto.variables));
  }

  @Get('runs')
  @ApiPageResponse(RunJson)
  @ApiOperation({ summary: "A project's runs, newest first, filtered" })
  list(@CurrentActor() actor: Actor, @Param() params: ProjectParams, @Query() query: RunsQuery) {
    return this.runs.listOfProject(actor, params.id, query);
  }

  @Get('runs/:rid')
  @ApiOkResponse({ type: RunJson })
  get(@CurrentActor() actor: Actor, @Param() params: RunParams) {
    return this.runs.get(actor, params.id, params.rid);
  }

  @Post('runs/:rid/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a queued or running run' })
  cancel(@CurrentActor() actor: Actor, @Param() params: RunParams, @Body() dto: CancelRunDto) {
    return this.commands.cancel(actor, params.id, params.rid, dto.reason);
  }

  @Post('runs/:rid/steps/:sid/approve')
  @HttpCode(202)
  @ApiOperation({ summary: 'Approve a waiting approval step (write access); the run continues' })
  approve(@CurrentActor() actor: Actor, @Param() params: StepParams, @Body() dto: DecideStepDto) {
    return this.commands.decide(actor, params.id, params.rid, params.sid, true, dto.comment);
  }

  @Post('runs/:rid/steps/:sid/reject')
  @HttpCode(202)
  @ApiOperation({ summary: 'Reject a waiting approval step (write access); the step fails with the comment' })
  reject(@CurrentActor() actor: Actor, @Param() params: StepParams, @Body() dto: DecideStepDto) {
    return this.commands.decide(actor, params.id, params.rid, params.sid, false, dto.comment);
  }

  @Post('runs/:rid/steps/:sid/rerun')
  @ApiOperation({
    summary: 'Run one step again with its dependants in a new run of the same commit and definition (write access); the other succeeded steps are reused',
  })
  @ApiCreatedResponse({ type: RunJson })
  async rerun(@CurrentActor() actor: Actor, @Param() params: StepParams, @Res({ passthrough: true }) res: Response) {
    return answer(res, await this.commands.rerunStep(actor, params.id, params.rid, params.sid));
  }

  @Post('runs/:rid/retry')
  @ApiOperation({
    summary: 'Run again from the same commit and definition (failed_only reuses succeeded steps)',
  })
  @ApiCreatedResponse({ type: RunJson })
  async retry(
    @CurrentActor() actor: Actor,
    @Param() params: RunParams,
    @Body() dto: RetryRunDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return answer(res, await this.commands.retry(actor, params.id, params.rid, dto.failed_only ?? false));
  }
}

function answer(res: Response, accepted: RunAccepted) {
  res.status(accepted.created ? 201 : 202);
  return accepted.run;
}
