import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkoutCommit, CheckoutTarget } from './git-checkout';
import { isUuid } from '@kiln/api-wire';

const STAGING_PREFIX = '.staging-';

/**
 * Run workspaces under `<dataDir>/workspaces/<runId>`. A workspace is cloned in a staging
 * directory and renamed into place: the rename is atomic, so a workspace that exists is complete,
 * and of two executors on one host cloning the same run at once, one rename wins and the other
 * clone is dropped. Within this process a run is cloned once (concurrent first steps share it).
 */
export class Workspaces {
  readonly root: string;
  private readonly preparing = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = join(resolve(dataDir), 'workspaces');
  }

  dir(runId: string): string {
    if (!isUuid(runId)) throw new Error(`"${runId}" is not a run id`);
    return join(this.root, runId);
  }

  async exists(runId: string): Promise<boolean> {
    return stat(this.dir(runId)).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  /** Resolves once the run's workspace holds the checkout; clones at most once per process. */
  prepare(runId: string, target: CheckoutTarget): Promise<void> {
    let pending = this.preparing.get(runId);
    if (!pending) {
      pending = this.clone(runId, target).finally(() => this.preparing.delete(runId));
      this.preparing.set(runId, pending);
    }
    return pending;
  }

  async remove(runId: string): Promise<void> {
    await this.preparing.get(runId)?.catch(() => undefined);
    await rm(this.dir(runId), { recursive: true, force: true });
  }

  /** Removes workspaces (and abandoned staging clones) not in `keep` and not modified since `before`. */
  async reap(before: Date, keep: ReadonlySet<string>): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names) {
      const runId = name.startsWith(STAGING_PREFIX)
        ? name.slice(STAGING_PREFIX.length, STAGING_PREFIX.length + 36)
        : name;
      if (keep.has(runId) || this.preparing.has(runId)) continue;
      const path = join(this.root, name);
      const modified = await stat(path).then(
        (s) => s.mtime,
        () => undefined,
      );
      if (!modified || modified >= before) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  private async clone(runId: string, target: CheckoutTarget): Promise<void> {
    if (await this.exists(runId)) return;
    await mkdir(this.root, { recursive: true });
    const staging = join(this.root, `${STAGING_PREFIX}${runId}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      await checkoutCommit(staging, target);
      await rename(staging, this.dir(runId)).catch(async (error: NodeJS.ErrnoException) => {
        // Another executor on this host published the same checkout first; use theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}
