import { Get, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional } from '../common/api-docs';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { ApiPageResponse } from '../common/api-page';
import { RunnerJson } from './runners.dto';
import { RunnersService } from './runners.service';

class RunnersQuery {
  @ApiPropertyOptional({ description: 'also executors silent for more than 30 s (last 24 h)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'all must be true or false' })
  all?: boolean;
}

@ApiController('runners', 'runners')
export class RunnersController {
  constructor(private readonly runners: RunnersService) {}

  @Get()
  @ApiPageResponse(RunnerJson)
  @ApiOperation({ summary: 'Live executors: backend, capacity, load, last heartbeat' })
  list(@CurrentActor() actor: Actor, @Query() query: RunnersQuery) {
    return this.runners.list(actor, query.all ?? false);
  }
}
