import { PrismaService } from '@kiln/db';
import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ArtifactMetrics } from '../common/artifact-metrics';
import { ARTIFACT_CONFIG, ArtifactConfig, cacheTtlMs } from '../config';

const BATCH_SIZE = 200;

/**
 * Every KILN_ARTIFACT_SWEEP_SECONDS deletes artifacts whose `expires_at` has passed, and cache
 * entries neither saved nor restored for KILN_CACHE_TTL. Safe with
 * several replicas: a row is claimed by a conditional delete (only one replica's succeeds), and
 * only that replica deletes the object, so each expiry is done and counted once.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ARTIFACT_CONFIG) private readonly config: ArtifactConfig,
    private readonly metrics: ArtifactMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduleNext();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** Deletes every artifact expired at `now`; answers how many this replica deleted. */
  async sweep(now = new Date()): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.prisma.artifact.findMany({
        where: { expiresAt: { lt: now } },
        select: { id: true, objectPath: true },
        orderBy: { expiresAt: 'asc' },
        take: BATCH_SIZE,
      });
      for (const row of batch) if (await this.expire(row, now)) deleted++;
      // Every row of a batch is gone afterwards (deleted here or by another replica), so this ends.
      if (batch.length < BATCH_SIZE) return deleted;
    }
  }

  /** Deletes every cache entry last used before `now` - KILN_CACHE_TTL; answers how many this replica deleted. */
  async sweepCaches(now = new Date()): Promise<number> {
    const unusedSince = new Date(now.getTime() - cacheTtlMs(this.config));
    let deleted = 0;
    for (;;) {
      const batch = await this.prisma.cache.findMany({
        where: { lastUsedAt: { lt: unusedSince } },
        select: { id: true, objectPath: true },
        orderBy: { lastUsedAt: 'asc' },
        take: BATCH_SIZE,
      });
      for (const row of batch) {
        // Restored since the batch was read: it stays. Claimed by the conditional delete, as artifacts.
        const { count } = await this.prisma.cache.deleteMany({
          where: { id: row.id, lastUsedAt: { lt: unusedSince } },
        });
        if (count === 0) continue;
        await this.deleteObject(row.objectPath, 'expired cache');
        deleted++;
      }
      if (batch.length < BATCH_SIZE) return deleted;
    }
  }

  private async expire(row: { id: string; objectPath: string }, now: Date): Promise<boolean> {
    // Still expired? A re-upload may have set a new expiry; another replica may have taken it.
    const { count } = await this.prisma.artifact.deleteMany({
      where: { id: row.id, expiresAt: { lt: now } },
    });
    if (count === 0) return false;
    await this.deleteObject(row.objectPath, 'expired artifact');
    this.metrics.expired.inc();
    return true;
  }

  private async deleteObject(objectPath: string, what: string): Promise<void> {
    try {
      await this.storage.delete(objectPath);
    } catch (error) {
      // The row is gone, so no later sweep finds this object: say loudly which one was left behind.
      this.logger.error(
        { objectPath, error: error instanceof Error ? error.message : String(error) },
        `${what} row deleted but its object could not be; it stays in storage`,
      );
    }
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.sweepAndLog().finally(() => {
        this.inFlight = undefined;
        this.scheduleNext();
      });
    }, this.config.KILN_ARTIFACT_SWEEP_SECONDS * 1000);
  }

  private async sweepAndLog(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) this.logger.log({ deleted }, 'expired artifacts deleted');
      const caches = await this.sweepCaches();
      if (caches > 0) this.logger.log({ deleted: caches }, 'unused cache entries deleted');
    } catch (error) {
      // A database or storage outage: the next round retries, nothing is lost by waiting.
      this.logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        'artifact sweep failed',
      );
    }
  }
}
