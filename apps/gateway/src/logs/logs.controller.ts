import { Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '../common/api-docs';
import { Request, Response } from 'express';
import { Actor, CurrentActor } from '../auth/actor';
import { ApiController } from '../auth/api-controller.decorator';
import { StepParams } from '../common/params';
import { LogsQuery } from './logs.dto';
import { LogsService } from './logs.service';

@ApiController('projects/:id/runs/:rid/steps', 'logs')
export class LogsController {
  constructor(private readonly logs: LogsService) {}

  @Get(':sid/logs')
  @ApiProduces('text/plain', 'text/event-stream')
  @ApiOperation({
    summary: "A step's log",
    description:
      'With "Accept: text/event-stream" (or follow=true): Server-Sent Events `data: {ts, stream, text}` from the first line, ' +
      'then live lines, then `event: end` with `{exit_code}`. Otherwise text: the archived log (Range and tail supported, ' +
      'or a redirect to a presigned URL), or the lines so far while the step runs. timestamps=true prefixes each ' +
      'line with its time.',
  })
  get(
    @CurrentActor() actor: Actor,
    @Param() params: StepParams,
    @Query() query: LogsQuery,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.logs.serve(actor, params, query, req, res);
  }
}
