import { StepDecidedEvent, StepFinishedEvent, StepLogArchivedEvent, StepStartedEvent } from '@kiln/contracts';
import { inPoolTransaction, PrismaService, Run, Step } from '@kiln/db';
import { applyChanges, Decision, decideGroups, EngineEvent, logArchivedChange, runContext, stepRules } from '@kiln/engine';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PoolClient } from 'pg';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { StepDispatcherService } from '../dispatch/step-dispatcher.service';
import { RunOutcomeService } from '../outcomes/run-outcome.service';
import { decodeSnapshot } from '../runs/definition-snapshot';
import { admissibleQueuedRuns, mayStart } from './run-admission';
import { beginWithRun } from './run-rows';
import { writeChanges } from './run-writes';

/** Queued runs re-examined when a run ends and frees its slot. */
const ADMISSIONS_PER_FINISH = 20;

/**
 * The one writer of runs and steps once they exist (run creation inserts them). Every event goes
 * through `apply`: under the run's row lock it reads the run and its steps, asks the engine
 * (`decideGroups` in @kiln/engine) what the events change, writes that in the same transaction, and
 * performs the effects once it is committed. Duplicate, late or reordered events change nothing,
 * and scheduler replicas never race.
 */
@Injectable()
export class RunStateService {
  private readonly logger = new Logger(RunStateService.name);
  /** Runs with a transaction in flight in this process → the callers waiting for the next one. */
  private readonly waiting = new Map<string, Caller[]>();

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

  /**
   * Points the step at its archived log while the attempt is the step's current one. The engine's
   * rule (`logArchivedChange`) touches the step's log columns only, whatever the statuses, so it is
   * one guarded UPDATE instead of a transaction locking and reading the whole run (a third of the
   * writer's transactions per run were these).
   */
  async logArchived(event: StepLogArchivedEvent): Promise<void> {
    const { stepId, attempt, logRef } = event;
    const change = logArchivedChange({ type: 'log-archived', stepId, attempt, logRef, logBytes: BigInt(event.logBytes) });
    await this.prisma.pool.query({
      name: 'kiln-step-log-archived',
      text: 'UPDATE steps SET log_ref = $1::text, log_bytes = $2::bigint WHERE id = $3::uuid AND run_id = $4::uuid AND attempt = $5::int',
      values: [change.set.logRef, String(change.set.logBytes), change.stepId, event.runId, change.attempt],
    });
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
   * they changed anything. Events of a run that arrive while its transaction is in flight wait
   * and go together in the next one (one lock, one read, one write for all). The effects follow
   * the commit: a crash in between leaves the run to the next event or the watchdog, which
   * decide (and dispatch) again.
   */
  apply(runId: string, events: EngineEvent[]): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const next = this.waiting.get(runId);
      if (next) next.push({ events, resolve, reject });
      else {
        this.waiting.set(runId, []);
        void this.drain(runId, [{ events, resolve, reject }]);
      }
    });
  }

  /** Runs the run's transactions one after another while callers keep coming. */
  private async drain(runId: string, first: Caller[]): Promise<void> {
    for (let callers = first; callers.length > 0; ) {
      await this.decideFor(runId, callers);
      const next = this.waiting.get(runId) ?? [];
      if (next.length > 0) this.waiting.set(runId, []);
      else this.waiting.delete(runId);
      callers = next;
    }
  }

  /**
   * One transaction for the callers' events; its effects and answers follow without holding up
   * the run's next transaction. When it fails, each caller's events are tried alone, so an event
   * that cannot be applied fails its own delivery only.
   */
  private async decideFor(runId: string, callers: Caller[]): Promise<void> {
    try {
      void this.settle(await this.transaction(runId, callers.map((c) => c.events)), callers);
    } catch (error) {
      if (callers.length === 1) callers[0].reject(error);
      else for (const caller of callers) await this.decideFor(runId, [caller]);
    }
  }

  /** Performs the effects of a committed decision, then answers its callers. */
  private async settle(outcome: Outcome | null, callers: Caller[]): Promise<void> {
    try {
      if (outcome) await this.perform(outcome);
      callers.forEach((caller, i) => caller.resolve(outcome?.decision.changedBy[i] ?? false));
    } catch (error) {
      for (const caller of callers) caller.reject(error);
    }
  }

  /** Locks the run, decides the callers' events on its rows and writes the changes; null: no such run. */
  private transaction(runId: string, groups: EngineEvent[][]): Promise<Outcome | null> {
    return inPoolTransaction(this.prisma.pool, (client) => this.decideLocked(client, runId, groups));
  }

  private async decideLocked(client: PoolClient, runId: string, groups: EngineEvent[][]): Promise<Outcome | null> {
    const locked = await beginWithRun(client, runId);
    if (!locked) return null;
    const { run, projectLimit } = locked;
    const limits = { maxActive: this.config.KILN_MAX_ACTIVE_RUNS, projectLimit };
    const admitted = run.status === 'queued' ? await mayStart(client, run.id, limits) : true;
    const definition = decodeSnapshot(run.definition);
    const decision = decideGroups(
      { ...run, failFast: definition?.failFast ?? false, context: runContext(run), admitted },
      run.steps.map((step) => ({ ...step, ...stepRules(step.name, definition) })),
      groups,
      new Date(),
    );
    await writeChanges(client, runId, decision.changes);
    return { decision, ...applyChanges(run, run.steps, decision.changes) };
  }

  private async perform({ decision, run, steps }: Outcome): Promise<void> {
    for (const effect of decision.effects) {
      if (effect.type === 'cancel-sandboxes') {
        await this.dispatcher.cancelRun(run.id, effect.requestedBy, effect.reason);
      } else if (effect.type === 'dispatch') {
        const undeliverable = await this.dispatcher.dispatch(run, steps.filter((s) => effect.stepIds.includes(s.id)));
        if (undeliverable.length > 0) {
          const events = undeliverable.map(({ step, error }) => ({ type: 'step-undeliverable' as const, stepId: step.id, attempt: step.attempt, error }));
          await this.apply(run.id, events);
          return;
        }
      } else {
        await this.finished(run, steps);
      }
    }
  }

  /** Reports the end of a run and lets runs that waited for its slot start. */
  private async finished(run: Run, steps: Step[]): Promise<void> {
    await this.outcomes.runFinished(run.id, { ...run, steps });
    // Every queued run the limits admit now, not only with limits: a limit removed since they queued must free them.
    const admissible = await admissibleQueuedRuns(this.prisma.pool, this.config.KILN_MAX_ACTIVE_RUNS, ADMISSIONS_PER_FINISH);
    for (const id of admissible) await this.advance(id);
  }
}

interface Caller {
  events: EngineEvent[];
  resolve(changed: boolean): void;
  reject(error: unknown): void;
}

interface Outcome {
  decision: Decision & { changedBy: boolean[] };
  /** The run and its steps as the decision left them. */
  run: Run;
  steps: Step[];
}
