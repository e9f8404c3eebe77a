import { StepDecidedEvent, StepFinishedEvent, StepStartedEvent } from '@kiln/contracts';
import { PrismaService, Step } from '@kiln/db';
import { allStepsFinished, isTerminalRun, runOutcome, UNFINISHED_STEP_STATUSES, waitingOnly } from '@kiln/engine';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { StepDispatcherService } from '../dispatch/step-dispatcher.service';
import { RunOutcomeService } from '../outcomes/run-outcome.service';
import { decodeSnapshot } from '../runs/definition-snapshot';
import { mayStart } from './run-admission';
import { plannedStep, runContext } from './run-context';
import { planSteps } from './step-plan';

/**
 * The run state machine: the one place run and step state changes. Every change is a
 * guarded update inside a transaction holding the run's row lock, so duplicate, late or
 * reordered events change nothing and scheduler replicas never race.
 */
@Injectable()
export class RunStateService {
  private readonly logger = new Logger(RunStateService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly dispatcher: StepDispatcherService,
    private readonly outcomes: RunOutcomeService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  /** Queue ready steps, skip blocked ones, finish the run when nothing is left; then publish. */
  async advance(runId: string): Promise<void> {
    const result = await this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM runs WHERE id = ${runId}::uuid FOR UPDATE`;
      if (locked.length === 0) return null;
      const run = await tx.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: true } });
      if (isTerminalRun(run.status)) return null;
      if (run.status === 'queued' && !(await mayStart(tx, run, this.config.KILN_MAX_ACTIVE_RUNS))) return null;
      const definition = decodeSnapshot(run.definition);
      const planned = run.steps.map((step) => plannedStep(step, definition));
      const plan = planSteps(planned, { failFast: definition?.failFast ?? false, run: runContext(run) });
      const now = new Date();
      for (const { id, reason } of [...plan.skip, ...plan.cancel]) {
        const status = plan.skip.some((s) => s.id === id) ? 'skipped' : 'cancelled';
        await tx.step.updateMany({
          where: { id, status: { in: [...UNFINISHED_STEP_STATUSES] } },
          data: { status, error: reason, finishedAt: now, version: { increment: 1 } },
        });
      }
      if (plan.queue.length > 0) {
        await tx.step.updateMany({
          where: { id: { in: plan.queue }, status: 'pending' },
          data: { status: 'queued', queuedAt: now, version: { increment: 1 } },
        });
      }
      if (plan.wait.length > 0) {
        await tx.step.updateMany({
          where: { id: { in: plan.wait }, status: 'pending' },
          data: { status: 'waiting', queuedAt: now, version: { increment: 1 } },
        });
      }
      if (plan.retry.length > 0) {
        // The next attempt starts clean; the failed attempt's outcome stays in its log.
        await tx.step.updateMany({
          where: { id: { in: plan.retry }, status: 'failed' },
          data: {
            status: 'queued',
            attempt: { increment: 1 },
            exitCode: null,
            signal: null,
            error: null,
            startedAt: null,
            finishedAt: null,
            durationMs: null,
            queuedAt: now,
            version: { increment: 1 },
          },
        });
      }
      const steps = await tx.step.findMany({ where: { runId } });
      const finished = allStepsFinished(steps);
      await tx.run.update({
        where: { id: runId },
        data: finished
          ? { status: runOutcome(steps), finishedAt: now, lastProgressAt: now, version: { increment: 1 } }
          : { status: waitingOnly(steps) ? 'waiting' : 'running', startedAt: run.startedAt ?? now, lastProgressAt: now, version: { increment: 1 } },
      });
      return { finished, cancelledRunning: plan.cancel.length > 0, queued: steps.filter((s) => s.status === 'queued') };
    });
    if (!result) return;
    if (result.cancelledRunning) await this.dispatcher.cancelRun(runId, 'fail_fast');
    const undeliverable = await this.dispatcher.dispatch(runId, result.queued);
    if (undeliverable.length > 0) {
      await this.failSteps(undeliverable);
      await this.advance(runId);
      return;
    }
    if (result.finished) await this.finished(runId);
  }

  /** Reports the end of a run and lets runs that waited for its slot start. */
  private async finished(runId: string): Promise<void> {
    await this.outcomes.runFinished(runId);
    // No "are there limits at all" shortcut: a limit removed since these runs queued must free them.
    const waiting = await this.prisma.run.findMany({
      where: { status: 'queued' },
      orderBy: { createdAt: 'asc' },
      take: 20,
      select: { id: true },
    });
    for (const run of waiting) await this.advance(run.id);
  }

  async stepStarted(event: StepStartedEvent): Promise<void> {
    const startedAt = new Date(event.startedAt);
    const updated = await this.prisma.step.updateMany({
      where: { id: event.stepId, runId: event.runId, attempt: event.attempt, status: { in: ['pending', 'queued'] } },
      data: {
        status: 'running',
        startedAt,
        executorId: event.executorId,
        sandboxName: event.sandboxName,
        ...(event.imageDigest ? { imageDigest: event.imageDigest } : {}),
        version: { increment: 1 },
      },
    });
    if (updated.count === 0) return;
    await this.prisma.run.updateMany({
      where: { id: event.runId, status: { in: ['queued', 'running'] } },
      data: { status: 'running', lastProgressAt: new Date() },
    });
    await this.prisma.run.updateMany({ where: { id: event.runId, startedAt: null }, data: { startedAt } });
  }

  async stepFinished(event: StepFinishedEvent): Promise<void> {
    const step = await this.prisma.step.findUnique({ where: { id: event.stepId } });
    if (!step || step.runId !== event.runId || step.attempt !== event.attempt) return;
    const finishedAt = new Date(event.finishedAt);
    const startedAt = step.startedAt ?? (event.startedAt ? new Date(event.startedAt) : null);
    const updated = await this.prisma.step.updateMany({
      where: { id: step.id, attempt: event.attempt, status: { in: ['queued', 'running'] } },
      data: {
        status: event.status,
        exitCode: event.exitCode ?? null,
        signal: event.signal ?? null,
        error: event.error ?? null,
        executorId: event.executorId,
        ...(event.pushedImage ? { imageDigest: event.pushedImage } : {}),
        startedAt,
        finishedAt,
        durationMs: startedAt ? Math.max(0, finishedAt.getTime() - startedAt.getTime()) : null,
        version: { increment: 1 },
      },
    });
    if (updated.count === 0) return;
    this.logger.log({ runId: event.runId, step: step.name, status: event.status, exitCode: event.exitCode }, 'step finished');
    // An executor cancels a step only on a run cancel, which is on its way here too: whichever
    // arrives first ends the run the same way (pending steps cancelled, not skipped or started).
    if (event.status === 'cancelled') await this.terminate(event.runId, 'cancelled', event.error ?? 'cancelled');
    else await this.advance(event.runId);
  }

  /** Applies a person's approval or rejection of a waiting approval step, then moves the run on. */
  async decide(event: StepDecidedEvent): Promise<void> {
    const now = new Date();
    const reason = `rejected by ${event.decidedBy}${event.comment ? `: ${event.comment}` : ''}`;
    const updated = await this.prisma.step.updateMany({
      where: { id: event.stepId, runId: event.runId, status: 'waiting' },
      data: {
        status: event.approved ? 'succeeded' : 'failed',
        error: event.approved ? null : reason,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        version: { increment: 1 },
      },
    });
    if (updated.count === 0) return;
    this.logger.log({ runId: event.runId, stepId: event.stepId, approved: event.approved, by: event.decidedBy }, 'approval decided');
    await this.advance(event.runId);
  }

  /** Cancels a run: unfinished steps cancelled, the run cancelled; executors kill what runs. */
  async cancel(runId: string, requestedBy: string, reason: string): Promise<boolean> {
    const ended = await this.terminate(runId, 'cancelled', reason);
    if (ended) this.logger.log({ runId, requestedBy, reason }, 'run cancelled');
    return ended;
  }

  /** Ends a run the platform gave up on (run timeout, no progress) as failed. */
  fail(runId: string, reason: string): Promise<boolean> {
    return this.terminate(runId, 'failed', reason);
  }

  /** Ends a run and its unfinished steps with one reason, the same whichever event got here first. */
  private async terminate(runId: string, status: 'cancelled' | 'failed', reason: string) {
    const ended = await this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM runs WHERE id = ${runId}::uuid FOR UPDATE`;
      const run = await tx.run.findUnique({ where: { id: runId } });
      if (!run || isTerminalRun(run.status)) return false;
      const now = new Date();
      await tx.step.updateMany({
        where: { runId, status: { in: [...UNFINISHED_STEP_STATUSES] } },
        data: { status: 'cancelled', error: reason, finishedAt: now, version: { increment: 1 } },
      });
      await tx.run.update({
        where: { id: runId },
        data: { status, error: reason, finishedAt: now, lastProgressAt: now, version: { increment: 1 } },
      });
      return true;
    });
    if (!ended) return false;
    // A run the platform ended (timeout, no progress) may still have sandboxes running on any
    // executor; `kiln.run.finished` reaches only one of them, a cancel reaches all, and it goes
    // first so the steps' logs say why they were stopped.
    if (status === 'failed') await this.dispatcher.cancelRun(runId, 'kiln', reason);
    await this.finished(runId);
    return true;
  }

  /** Ends steps the platform gave up on (lost executor, no report after the timeout). */
  async failSteps(failures: { step: Pick<Step, 'id' | 'attempt'>; error: string }[]): Promise<void> {
    const now = new Date();
    for (const { step, error } of failures) {
      await this.prisma.step.updateMany({
        where: { id: step.id, attempt: step.attempt, status: { in: [...UNFINISHED_STEP_STATUSES] } },
        data: { status: 'failed', error, finishedAt: now, version: { increment: 1 } },
      });
    }
  }
}
