import { PrismaService } from '@kiln/db';
import { formatDuration } from '@kiln/definition';
import { EngineEvent } from '@kiln/engine';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { admissibleQueuedRuns } from '../state/run-admission';
import { RunStateService } from '../state/run-state.service';
import { overdueRuns, RunningStep, runningSteps, StepExecutor, waitingApprovals } from './watchdog-rows';

/** Grace after a step's own timeout before the platform stops waiting for its executor. */
const REPORT_GRACE_MS = 60_000;
/**
 * How late a `kiln.step.finished` may still come after its executor stopped listing the step:
 * after a database outage the scheduler's consumer retries it with backoff, up to 30 s apart.
 */
const LATE_REPORT_MS = 30_000;
/** Oldest queued runs looked at per sweep; admission itself keeps the order fair. */
const ADMISSIONS_PER_SWEEP = 50;

/**
 * No run stays unfinished forever: steps of lost executors are retried once, then failed;
 * steps whose executor never reports are failed after their timeout; runs past their
 * deadline or without progress are ended; queued runs are re-admitted. The watchdog only reads:
 * what it finds becomes events for RunStateService, which decides and writes under the run's lock,
 * so replicas may overlap.
 */
@Injectable()
export class WatchdogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WatchdogService.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private readonly lostAfterMs: number;
  private readonly runTimeoutMs: number;
  private readonly stallMs: number;
  private readonly defaultStepTimeoutMs: number;
  /**
   * Since when heartbeats could reach the executors table without a break. A database or NATS
   * outage silences every executor at once, so silence proves a loss only once the scheduler
   * has been able to hear heartbeats for a whole KILN_EXECUTOR_LOST_AFTER again.
   */
  private hearingSince = Date.now();
  /** `<stepId>:<attempt>` → when a running step was first seen missing from its live executor's heartbeat. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly state: RunStateService,
    private readonly messaging: MessagingService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {
    this.lostAfterMs = durationMs(config.KILN_EXECUTOR_LOST_AFTER);
    this.runTimeoutMs = durationMs(config.KILN_RUN_TIMEOUT);
    this.stallMs = durationMs(config.KILN_RUN_STALL_TIMEOUT);
    this.defaultStepTimeoutMs = durationMs(config.KILN_DEFAULT_STEP_TIMEOUT);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .catch((error: unknown) => {
          this.hearingSince = Date.now();
          this.logger.error({ error: String(error) }, 'watchdog sweep failed');
        })
        .finally(() => (this.sweeping = undefined));
    }, durationMs(this.config.KILN_WATCHDOG_INTERVAL));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  async sweep(now = new Date()): Promise<void> {
    if (!this.messaging.isConnected()) this.hearingSince = now.getTime();
    await this.recoverLostSteps(now);
    await this.endOverdueRuns(now);
    await this.rejectExpiredApprovals(now);
    await this.admitQueuedRuns();
  }

  /** An approval step with a `timeout` is rejected once nobody decided within it. */
  private async rejectExpiredApprovals(now: Date): Promise<void> {
    const waiting = await waitingApprovals(this.prisma.pool);
    const expired = waiting.filter((step) => step.queuedAt && step.queuedAt.getTime() + step.timeoutMs <= now.getTime());
    await this.applyByRun(
      expired.map((step) => [
        step.runId,
        { type: 'approval-decided', stepId: step.id, approved: false, decidedBy: 'kiln', comment: `nobody decided within ${formatDuration(step.timeoutMs)}` },
      ]),
    );
  }

  /** One transaction per run, its events in the order found. */
  private async applyByRun(events: [runId: string, event: EngineEvent][]): Promise<void> {
    const byRun = new Map<string, EngineEvent[]>();
    for (const [runId, event] of events) byRun.set(runId, [...(byRun.get(runId) ?? []), event]);
    for (const [runId, runEvents] of byRun) await this.state.apply(runId, runEvents);
  }

  /**
   * Queued runs are otherwise admitted only when another run ends; a limit raised or removed
   * in the meantime (PATCH concurrency_limit) must not leave them waiting for that.
   */
  private async admitQueuedRuns(): Promise<void> {
    const admissible = await admissibleQueuedRuns(this.prisma.pool, this.config.KILN_MAX_ACTIVE_RUNS, ADMISSIONS_PER_SWEEP);
    for (const id of admissible) await this.state.advance(id);
  }

  private async recoverLostSteps(now: Date): Promise<void> {
    const running = await runningSteps(this.prisma.pool);
    const runningKeys = new Set(running.map((s) => `${s.id}:${s.attempt}`));
    for (const key of this.missingSince.keys()) if (!runningKeys.has(key)) this.missingSince.delete(key);
    if (running.length === 0) return;
    const lostBefore = now.getTime() - this.lostAfterMs;
    const events: [string, EngineEvent][] = [];
    for (const step of running) {
      const startedAt = step.startedAt?.getTime() ?? now.getTime();
      const executor = step.executor ?? undefined;
      const heartbeat = executor?.lastHeartbeatAt.getTime() ?? 0;
      const silent = heartbeat < lostBefore && startedAt < lostBefore && this.hearingSince < lostBefore;
      const forgotten = this.forgotten(step, executor, now);
      const overdue = startedAt + (step.timeoutMs ?? this.defaultStepTimeoutMs) + REPORT_GRACE_MS < now.getTime();
      const ids = { stepId: step.id, attempt: step.attempt };
      if (silent || forgotten) {
        const reason = `executor ${step.executorId ?? 'unknown'} lost`;
        this.logger.warn({ runId: step.runId, step: step.name, attempt: step.attempt, reason }, 'step lost');
        events.push([step.runId, { type: 'step-lost', ...ids, reason }]);
      } else if (overdue) {
        events.push([step.runId, { type: 'step-timed-out', ...ids, error: 'timed out: the executor never reported the end of the step' }]);
      }
    }
    await this.applyByRun(events);
  }

  /**
   * A live executor lost a running step when it restarted since the step started (same
   * KILN_EXECUTOR_ID, new process), or when its heartbeats have left the step out for longer
   * than a late `kiln.step.finished` could take to arrive (it could not report the end).
   */
  private forgotten(step: RunningStep, executor: StepExecutor | undefined, now: Date): boolean {
    const key = `${step.id}:${step.attempt}`;
    const startedAt = step.startedAt?.getTime() ?? now.getTime();
    if (!executor || executor.lastHeartbeatAt.getTime() <= startedAt || executor.runningSteps.includes(key)) {
      this.missingSince.delete(key);
      return false;
    }
    if (executor.startedAt.getTime() > startedAt) return true;
    const since = this.missingSince.get(key) ?? now.getTime();
    this.missingSince.set(key, since);
    return now.getTime() - since >= this.lostAfterMs + LATE_REPORT_MS;
  }

  private async endOverdueRuns(now: Date): Promise<void> {
    // A run waiting for a concurrency slot, or one with a step still running, is not stalled:
    // the admission sweep and the step checks above (lost executor, step timeout) look after those.
    const overdue = await overdueRuns(
      this.prisma.pool,
      new Date(now.getTime() - this.runTimeoutMs),
      new Date(now.getTime() - this.stallMs),
    );
    for (const run of overdue) {
      const timedOut = run.startedAt && run.startedAt.getTime() < now.getTime() - this.runTimeoutMs;
      const reason = timedOut
        ? `run timed out after ${this.config.KILN_RUN_TIMEOUT}`
        : `no progress for ${this.config.KILN_RUN_STALL_TIMEOUT}`;
      if (await this.state.fail(run.id, reason)) this.logger.warn({ runId: run.id, reason }, 'run ended by the watchdog');
    }
  }
}
