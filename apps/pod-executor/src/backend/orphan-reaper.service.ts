import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Backend, BACKEND } from './backend';

/** Workspaces untouched this long belong to runs that ended without reaching this host's executors. */
export const ORPHAN_AGE_MS = 24 * 60 * 60_000;

/**
 * At start: refuses to run without a working backend, then removes what earlier executors left
 * behind (a crash between a run's end and its clean-up). A day's margin spares workspaces that
 * other executors on this host are still using.
 */
@Injectable()
export class OrphanReaperService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(OrphanReaperService.name);

  constructor(@Inject(BACKEND) private readonly backend: Backend) {}

  onModuleInit(): Promise<void> {
    return this.backend.verify();
  }

  async onApplicationBootstrap(): Promise<void> {
    const removed = await this.backend.reapOrphans(new Date(Date.now() - ORPHAN_AGE_MS), new Set());
    if (removed.length > 0) this.logger.log({ removed }, 'removed orphaned workspaces');
  }
}
