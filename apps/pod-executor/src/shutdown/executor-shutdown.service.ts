import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { HeartbeatService } from '../heartbeat/heartbeat.service';
import { StepRunnerService } from '../steps/step-runner.service';

/** How long killed steps get to publish their last chunks and `kiln.step.finished`. */
const REPORT_AFTER_KILL_MS = 15_000;

/**
 * Graceful stop: no new dispatches; running steps may finish within KILN_SHUTDOWN_GRACE_SECONDS,
 * then are killed and reported failed ("executor shutting down"). A last heartbeat with capacity 0
 * tells the scheduler at once. It runs in onModuleDestroy, the first shutdown hook: before the
 * consumers stop (beforeApplicationShutdown), which would otherwise wait for the steps themselves,
 * and before the NATS connection closes (onApplicationShutdown).
 */
@Injectable()
export class ExecutorShutdownService implements OnModuleDestroy {
  private readonly logger = new Logger(ExecutorShutdownService.name);

  constructor(
    private readonly runner: StepRunnerService,
    private readonly heartbeat: HeartbeatService,
    @Inject(EXECUTOR_CONFIG) private readonly config: ExecutorConfig,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.runner.stopAccepting();
    const graceMs = this.config.KILN_SHUTDOWN_GRACE_SECONDS * 1000;
    if (!(await this.runner.whenIdle(graceMs))) {
      this.logger.warn({ graceMs }, 'steps still running after the shutdown grace period: killing them');
      await this.runner.killAll('shutdown', 'executor shutting down');
      if (!(await this.runner.whenIdle(REPORT_AFTER_KILL_MS)))
        this.logger.error('killed steps could not be reported');
    }
    await this.heartbeat.stop(0);
  }
}
