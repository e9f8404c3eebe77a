import { PrismaService } from '@kiln/db';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { RunStateService } from '../state/run-state.service';

/** Grace after a step's own timeout before the platform stops waiting for its executor. */
const REPORT_GRACE_MS = 60_000;
const MAX_ATTEMPTS = 2;

/**
 * No run stays unfinished forever: steps of lost executors are retried once, then failed;
 * steps whose executor never reports are failed after their timeout; runs past their
 * deadline or without progress are ended. Every change is guarded, so replicas may overlap.
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

  constructor(
    private readonly prisma: PrismaService,
    private readonly state: RunStateService,
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
        .catch((error: unknown) => this.logger.error({ error: String(error) }, 'watchdog sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, durationMs(this.config.KILN_WATCHDOG_INTERVAL));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  async sweep(now = new Date()): Promise<void> {
    await this.recoverLostSteps(now);
    await this.endOverdueRuns(now);
  }

  private async recoverLostSteps(now: Date): Promise<void> {
    const running = await this.prisma.step.findMany({ where: { status: 'running' } });
    if (running.length === 0) return;
    const executorIds = [...new Set(running.map((s) => s.executorId).filter((id): id is string => !!id))];
    const executors = new Map(
      (await this.prisma.executor.findMany({ where: { id: { in: executorIds } } })).map((e) => [e.id, e]),
    );
    const lostBefore = now.getTime() - this.lostAfterMs;
    for (const step of running) {
      const startedAt = step.startedAt?.getTime() ?? now.getTime();
      const executor = step.executorId ? executors.get(step.executorId) : undefined;
      const heartbeat = executor?.lastHeartbeatAt.getTime() ?? 0;
      const silent = heartbeat < lostBefore && startedAt < lostBefore;
      // A live executor that no longer lists the step (it restarted) lost it as well.
      const forgotten = !!executor && heartbeat > startedAt + this.lostAfterMs && !executor.runningSteps.includes(`${step.id}:${step.attempt}`);
      const overdue = startedAt + (step.timeoutMs ?? this.defaultStepTimeoutMs) + REPORT_GRACE_MS < now.getTime();
      if (silent || forgotten) {
        await this.retryOrFail(step, `executor ${step.executorId ?? 'unknown'} lost`);
      } else if (overdue) {
        await this.state.failSteps([{ step, error: 'timed out: the executor never reported the end of the step' }]);
        await this.state.advance(step.runId);
      }
    }
  }

  private async retryOrFail(step: { id: string; runId: string; attempt: number; name: string }, reason: string) {
    if (step.attempt >= MAX_ATTEMPTS) {
      await this.state.failSteps([{ step, error: reason }]);
    } else {
      const requeued = await this.prisma.step.updateMany({
        where: { id: step.id, attempt: step.attempt, status: 'running' },
        data: {
          status: 'queued',
          attempt: step.attempt + 1,
          executorId: null,
          sandboxName: null,
          startedAt: null,
          queuedAt: new Date(),
          error: `attempt ${step.attempt}: ${reason}; retrying`,
          version: { increment: 1 },
        },
      });
      if (requeued.count > 0) this.logger.warn({ runId: step.runId, step: step.name, reason }, 'retrying step');
    }
    await this.state.advance(step.runId);
  }

  private async endOverdueRuns(now: Date): Promise<void> {
    const overdue = await this.prisma.run.findMany({
      where: {
        status: { in: ['queued', 'running'] },
        OR: [
          { startedAt: { lt: new Date(now.getTime() - this.runTimeoutMs) } },
          { lastProgressAt: { lt: new Date(now.getTime() - this.stallMs) } },
        ],
      },
      select: { id: true, startedAt: true },
    });
    for (const run of overdue) {
      const timedOut = run.startedAt && run.startedAt.getTime() < now.getTime() - this.runTimeoutMs;
      const reason = timedOut
        ? `run timed out after ${this.config.KILN_RUN_TIMEOUT}`
        : `no progress for ${this.config.KILN_RUN_STALL_TIMEOUT}`;
      if (await this.state.fail(run.id, reason)) this.logger.warn({ runId: run.id, reason }, 'run ended by the watchdog');
    }
  }
}
