import { Get, Query } from '@nestjs/common';
import { ApiOperation } from '../common/api-docs';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { AllRunsQuery, RunJson } from './runs.dto';
import { RunsService } from './runs.service';

@ApiController('runs', 'runs')
export class AllRunsController {
  constructor(private readonly runs: RunsService) {}

  @Get()
  @ApiPageResponse(RunJson)
  @ApiOperation({ summary: "Runs across the caller's projects, newest first, filtered" })
  list(@CurrentActor() actor: Actor, @Query() query: AllRunsQuery) {
    return this.runs.listAll(actor, query);
  }
}
