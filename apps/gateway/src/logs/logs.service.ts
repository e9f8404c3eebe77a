import { PrismaService } from '@kiln/db';
import { stepLogKey } from '@kiln/storage';
import { isTerminalStep } from '@kiln/engine';
import { Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { NotFoundError } from '@kiln/errors';
import { StepParams } from '../common/params';
import { ArchivedLogService } from './archived-log.service';
import { LiveLogService } from './live-log.service';
import { LogsQuery } from './logs.dto';

/** Picks how a step's log is served: live events, archived text, or the lines so far. */
@Injectable()
export class LogsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly live: LiveLogService,
    private readonly archived: ArchivedLogService,
  ) {}

  async serve(
    actor: Actor,
    params: StepParams,
    query: LogsQuery,
    req: Request,
    res: Response,
  ): Promise<void> {
    await this.access.require(actor, params.id, 'read');
    const step = await this.prisma.step.findFirst({
      where: { id: params.sid, runId: params.rid, run: { projectId: params.id } },
    });
    if (!step) throw new NotFoundError(`step ${params.sid} not found`);
    const answer = { tail: query.tail, timestamps: query.timestamps };
    if (query.attempt !== undefined && query.attempt !== step.attempt) {
      // An earlier attempt is finished and archived under its own key; a later one does not exist.
      if (query.attempt > step.attempt) throw new NotFoundError(`attempt ${query.attempt} of step ${params.sid} not found`);
      return this.archived.send(step, stepLogKey(step.runId, step.name, query.attempt), req, res, answer);
    }
    const wantsEvents = query.follow ?? (req.get('accept') ?? '').includes('text/event-stream');
    if (wantsEvents) return this.live.sse(step, req, res);
    if (step.logRef && isTerminalStep(step.status)) return this.archived.send(step, step.logRef, req, res, answer);
    return this.live.text(step, res, answer);
  }
}
