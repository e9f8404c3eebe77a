import { StepCacheRequest } from '@kiln/contracts';
import { renderCacheKey } from '@kiln/definition';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Backend, BACKEND } from '../backend/backend';
import { insideWorkspace } from '../backend/workspace-archive';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { CacheClient } from './cache-client';
import { firstFileDigest } from './tar-digest';

export interface CacheStep {
  runId: string;
  projectId: string;
  branch: string;
  cache: StepCacheRequest[];
}

/** What a restore did, so the save after the step knows each rendered key and which ones hit. */
export interface CachePlan {
  entries: { key: string; paths: string[]; hit: boolean }[];
  /** System lines for the step's log. */
  lines: string[];
}

const ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };

/**
 * A step's `cache` entries: keys rendered in the run's workspace before the step, each entry
 * restored from the artifact-service (the key, else the newest entry of a restore key) and, after
 * a successful step, saved unless its key was restored exactly. A cache never fails a step: what
 * went wrong is a line in the step's log.
 */
@Injectable()
export class StepCachesService {
  private readonly logger = new Logger(StepCachesService.name);
  private readonly client: CacheClient;

  constructor(
    @Inject(BACKEND) private readonly backend: Backend,
    @Inject(EXECUTOR_CONFIG) config: ExecutorConfig,
  ) {
    this.client = new CacheClient({
      baseUrl: config.KILN_ARTIFACT_SERVICE_URL,
      internalToken: config.KILN_INTERNAL_TOKEN,
    });
  }

  async restore(step: CacheStep): Promise<CachePlan> {
    const plan: CachePlan = { entries: [], lines: [] };
    if (!this.backend.readWorkspace || !this.backend.writeWorkspace) {
      plan.lines.push(`caches are not supported on the ${this.backend.kind} backend: not restored, not saved`);
      return plan;
    }
    for (const cache of step.cache) {
      const paths = cache.paths.filter((path) => insideWorkspace(path) !== undefined);
      try {
        const key = await this.render(step, cache.key);
        const restoreKeys = await Promise.all(cache.restoreKeys.map((prefix) => this.render(step, prefix)));
        const found = await this.client.restore(step.projectId, key, restoreKeys);
        // A hit once restored: an exact key that could not be restored is saved again after the step.
        const entry = { key, paths, hit: false };
        plan.entries.push(entry);
        if (!found) {
          plan.lines.push(`cache miss: ${key}`);
          continue;
        }
        // pipeline, not pipe: a download cut midway fails gunzip, so the unpacking fails instead of waiting forever.
        const gunzip = createGunzip();
        const download = pipeline(found.body, gunzip);
        await Promise.all([this.backend.writeWorkspace(step.runId, gunzip), download]).catch((error: unknown) => {
          found.body.destroy();
          throw error;
        });
        entry.hit = found.key === key;
        plan.lines.push(`cache restored from key ${found.key} (${size(found.size)})`);
      } catch (error) {
        this.logger.warn({ runId: step.runId, key: cache.key, error: String(error) }, 'cache not restored');
        plan.lines.push(`cache not restored (${cache.key}): ${(error as Error).message}`);
      }
    }
    return plan;
  }

  /** After a successful step: answers the log lines. */
  async save(step: CacheStep, plan: CachePlan): Promise<string[]> {
    const lines: string[] = [];
    if (!this.backend.readWorkspace) return lines;
    for (const entry of plan.entries) {
      if (entry.hit) {
        lines.push(`cache not saved: key ${entry.key} was restored exactly`);
        continue;
      }
      try {
        lines.push(await this.saveEntry(step, entry));
      } catch (error) {
        this.logger.warn({ runId: step.runId, key: entry.key, error: String(error) }, 'cache not saved');
        lines.push(`cache not saved (${entry.key}): ${(error as Error).message}`);
      }
    }
    return lines;
  }

  private async saveEntry(step: CacheStep, entry: CachePlan['entries'][number]): Promise<string> {
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const tar = await this.backend.readWorkspace!(step.runId, entry.paths);
    const gzip = createGzip();
    // Settled at once into its error (or undefined), so a save that throws first leaves no unhandled rejection.
    const packing = pipeline(tar, gzip, counted).then(
      () => undefined,
      (error: unknown) => error,
    );
    const answer = await this.client.save(step.projectId, entry.key, counted).catch(async (error: unknown) => {
      counted.destroy();
      await packing;
      throw error;
    });
    // A refused upload stops reading midway: packing then fails, and that is expected.
    const packingError = await packing;
    if (packingError && answer.kind === 'saved') throw packingError;
    switch (answer.kind) {
      case 'saved':
        return `cache saved to key ${entry.key} (${size(bytes)})`;
      case 'exists':
        return `cache not saved: key ${entry.key} was stored meanwhile`;
      case 'too-large':
        return `cache not saved: key ${entry.key} is larger than the limit of ${size(answer.maxBytes)}`;
      default:
        return `cache not saved (${entry.key}): ${answer.message}`;
    }
  }

  /** `key` with its templates replaced; `{{ checksum "f" }}` reads f from the run's workspace. */
  private async render(step: CacheStep, key: string): Promise<string> {
    const context = {
      branch: step.branch,
      arch: ARCH[process.arch] ?? process.arch,
      epoch: Math.floor(Date.now() / 1000),
    };
    const files = new Set<string>();
    const collect = (file: string) => {
      files.add(file);
      return '';
    };
    renderCacheKey(key, { ...context, checksum: collect });
    const sums = new Map<string, string | undefined>();
    for (const file of files) sums.set(file, await this.checksum(step.runId, file));
    return renderCacheKey(key, { ...context, checksum: (file) => sums.get(file) });
  }

  private async checksum(runId: string, file: string): Promise<string | undefined> {
    if (insideWorkspace(file) === undefined) return undefined;
    const tar = await this.backend.readWorkspace!(runId, [file]);
    try {
      return await firstFileDigest(tar);
    } finally {
      tar.destroy();
    }
  }
}

function size(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unknown size';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
