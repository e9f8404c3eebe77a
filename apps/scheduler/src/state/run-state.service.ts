import { StepDecidedEvent, StepFinishedEvent, StepLogArchivedEvent, StepStartedEvent } from '@kiln/contracts';
import { Prisma, PrismaService, Run, Step } from '@kiln/db';
import { applyChanges, Changes, Decision, decideAll, EngineEvent, runContext, stepRules } from '@kiln/engine';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { StepDispatcherService } from '../dispatch/step-dispatcher.service';
import { RunOutcomeService } from '../outcomes/run-outcome.service';
import { decodeSnapshot } from '../runs/definition-snapshot';
import { mayStart } from './run-admission';

type Tx = Prisma.TransactionClient;

/** Queued runs re-examined when a run ends and frees its slot. */
const ADMISSIONS_PER_FINISH = 20;

/**
 * The one writer of runs and steps once they exist (run creation inserts them). Every event goes
 * through `apply`: under the run's row lock it reads the run and its steps, asks the engine
 * (`decideAll` in @kiln/engine) what the events change, writes that in the same transaction, and
 * performs the effects once it is committed. Duplicate, late or reordered events change nothing,
 * and scheduler replicas never race.
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

  /** Queue ready steps, skip blocked ones, finish the run when nothing is left; then dispatch. */
  async advance(runId: string): Promise<void> {
    await this.apply(runId, [{ type: 'advance' }]);
  }

  async stepStarted(event: StepStartedEvent): Promise<void> {
    const { stepId, attempt, executorId, sandboxName, imageDigest } = event;
    await this.apply(event.runId, [
      { type: 'step-started', stepId, attempt, startedAt: new Date(event.startedAt), executorId, sandboxName, imageDigest },
    ]);
  }

  async stepFinished(event: StepFinishedEvent): Promise<void> {
    const { stepId, attempt, status, exitCode, signal, error, executorId, pushedImage } = event;
    const changed = await this.apply(event.runId, [
      {
        type: 'step-finished',
        stepId,
        attempt,
        status,
        exitCode,
        signal,
        error,
        executorId,
        pushedImage,
        startedAt: event.startedAt ? new Date(event.startedAt) : undefined,
        finishedAt: new Date(event.finishedAt),
      },
    ]);
    if (changed) this.logger.log({ runId: event.runId, stepId, attempt, status, exitCode }, 'step finished');
  }

  /** Applies a person's approval or rejection of a waiting approval step, then moves the run on. */
  async approvalDecided(event: StepDecidedEvent): Promise<void> {
    const { stepId, approved, decidedBy, comment } = event;
    const changed = await this.apply(event.runId, [{ type: 'approval-decided', stepId, approved, decidedBy, comment }]);
    if (changed) this.logger.log({ runId: event.runId, stepId, approved, by: decidedBy }, 'approval decided');
  }

  /** Points the step at its archived log while the attempt is the step's current one. */
  async logArchived(event: StepLogArchivedEvent): Promise<void> {
    const { stepId, attempt, logRef } = event;
    await this.apply(event.runId, [{ type: 'log-archived', stepId, attempt, logRef, logBytes: BigInt(event.logBytes) }]);
  }

  /** Cancels a run: unfinished steps cancelled, the run cancelled; executors kill what runs. */
  async cancel(runId: string, requestedBy: string, reason: string): Promise<boolean> {
    const ended = await this.apply(runId, [{ type: 'cancel', requestedBy, reason }]);
    if (ended) this.logger.log({ runId, requestedBy, reason }, 'run cancelled');
    return ended;
  }

  /** Ends a run the platform gave up on (run timeout, no progress) as failed. */
  fail(runId: string, reason: string): Promise<boolean> {
    return this.apply(runId, [{ type: 'fail', reason }]);
  }

  /**
   * Applies events of one run, in order, as one decision in one transaction; answers whether
   * anything changed. The effects follow the commit: a crash in between leaves the run to the next
   * event or the watchdog, which decide (and dispatch) again.
   */
  async apply(runId: string, events: EngineEvent[]): Promise<boolean> {
    const outcome = await this.prisma.$transaction((tx) => this.decideLocked(tx, runId, events));
    if (!outcome) return false;
    await this.perform(runId, outcome.decision, outcome.steps);
    return outcome.decision.changes.run !== undefined || outcome.decision.changes.steps.length > 0;
  }

  private async decideLocked(tx: Tx, runId: string, events: EngineEvent[]) {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM runs WHERE id = ${runId}::uuid FOR UPDATE`;
    if (locked.length === 0) return null;
    const run = await tx.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: true } });
    const admitted = run.status === 'queued' ? await mayStart(tx, run, this.config.KILN_MAX_ACTIVE_RUNS) : true;
    const definition = decodeSnapshot(run.definition);
    const decision = decideAll(
      { ...run, failFast: definition?.failFast ?? false, context: runContext(run), admitted },
      run.steps.map((step) => ({ ...step, ...stepRules(step.name, definition) })),
      events,
      new Date(),
    );
    await write(tx, run, decision.changes);
    return { decision, steps: applyChanges(run, run.steps, decision.changes).steps };
  }

  private async perform(runId: string, decision: Decision, steps: Step[]): Promise<void> {
    for (const effect of decision.effects) {
      if (effect.type === 'cancel-sandboxes') {
        await this.dispatcher.cancelRun(runId, effect.requestedBy, effect.reason);
      } else if (effect.type === 'dispatch') {
        const undeliverable = await this.dispatcher.dispatch(runId, steps.filter((s) => effect.stepIds.includes(s.id)));
        if (undeliverable.length > 0) {
          const events = undeliverable.map(({ step, error }) => ({ type: 'step-undeliverable' as const, stepId: step.id, attempt: step.attempt, error }));
          await this.apply(runId, events);
          return;
        }
      } else {
        await this.finished(runId);
      }
    }
  }

  /** Reports the end of a run and lets runs that waited for its slot start. */
  private async finished(runId: string): Promise<void> {
    await this.outcomes.runFinished(runId);
    // No "are there limits at all" shortcut: a limit removed since these runs queued must free them.
    const waiting = await this.prisma.run.findMany({
      where: { status: 'queued' },
      orderBy: { createdAt: 'asc' },
      take: ADMISSIONS_PER_FINISH,
      select: { id: true },
    });
    for (const run of waiting) await this.advance(run.id);
  }
}

/** Writes a decision's guarded changes; steps that change alike share one statement. */
async function write(tx: Tx, run: Run, changes: Changes): Promise<void> {
  const groups = new Map<string, { ids: string[]; change: Changes['steps'][number] }>();
  for (const change of changes.steps) {
    const key = JSON.stringify([change.from, change.set], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const group = groups.get(key) ?? { ids: [], change };
    group.ids.push(change.id);
    groups.set(key, group);
  }
  for (const { ids, change } of groups.values()) {
    await tx.step.updateMany({ where: { id: { in: ids }, runId: run.id, ...change.from }, data: change.set });
  }
  if (changes.run) await tx.run.updateMany({ where: { id: run.id, ...changes.run.from }, data: changes.run.set });
}
