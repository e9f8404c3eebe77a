import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { Backend, BACKEND } from './backend';

/**
 * Refuses to start without a working backend, then removes what runs left behind — a crash between
 * a run's end and its clean-up, a `kiln.run.finished` that never got handled — at start and every
 * KILN_ORPHAN_SWEEP_SECONDS. Only what nothing touched for KILN_ORPHAN_AGE_SECONDS goes, and the
 * backend keeps the runs with a step on this executor, so other executors' runs are spared.
 */
@Injectable()
export class OrphanReaperService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrphanReaperService.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<string[]>;

  constructor(
    @Inject(BACKEND) private readonly backend: Backend,
    @Inject(EXECUTOR_CONFIG) private readonly config: ExecutorConfig,
  ) {}

  onModuleInit(): Promise<void> {
    return this.backend.verify();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.KILN_ORPHAN_SWEEP_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): Promise<unknown> | undefined {
    clearInterval(this.timer);
    return this.sweeping;
  }

  /** One sweep (joined when one is under way). A failure is logged; the next sweep tries again. */
  sweep(): Promise<string[]> {
    this.sweeping ??= this.reap().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async reap(): Promise<string[]> {
    const before = new Date(Date.now() - this.config.KILN_ORPHAN_AGE_SECONDS * 1000);
    try {
      const removed = await this.backend.reapOrphans(before, new Set());
      if (removed.length > 0)
        this.logger.log({ backend: this.backend.kind, removed }, 'removed what orphaned runs left');
      return removed;
    } catch (error) {
      this.logger.warn(
        { backend: this.backend.kind, error: (error as Error).message },
        'orphan sweep failed; the next one retries',
      );
      return [];
    }
  }
}
