import { GitCommandError, GitRemoteError, GitRunner, RepoRefusedError } from '@kiln/git';
import { CANNOT_FETCH_REPOSITORY, RepoGuard } from '@kiln/net-guard';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { ObjectReader } from './object-reader';

const GIT_TIMEOUT_MS = 120_000;
/** A cache repository's reader ends after this long without reads (one git process per project in use). */
const READER_IDLE_MS = 60_000;
const MISSING_COMMIT = Symbol('missing commit');
/**
 * Fetches run without git's own `maintenance --auto` (a process of its own after each fetch, whose
 * check almost never finds work); a cache repository gets that check once per this many commits
 * fetched into it.
 */
const MAINTENANCE_EVERY_COMMITS = 50;
/**
 * What git says about a damaged repository (as opposed to a missing commit, path or remote), or
 * one that changed during a read ("exists, but not": only another process, such as the git of a
 * killed scheduler, writes while this one reads).
 */
const DAMAGED =
  /corrupt|is empty|inflate|bad object|unable to (read|unpack)|packfile|object file|exists, but not/i;

/** A failure a tenant may read: a missing ref or commit, a refused URL, or CANNOT_FETCH_REPOSITORY. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

/**
 * A bare repository per project under the data directory: commits are fetched into it
 * shallowly, so reading a definition never clones the whole history.
 */
@Injectable()
export class GitCacheService implements OnModuleDestroy {
  private readonly logger = new Logger(GitCacheService.name);
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly readers = new Map<string, ObjectReader>();
  /** Per repository, the fetch waiting for its turn that a new commit can still join. */
  private readonly waitingFetches = new Map<
    string,
    { repoUrl: string; shas: Set<string>; done: Promise<void> }
  >();
  /** Commits fetched into each cache repository since its last maintenance check (MAINTENANCE_EVERY_COMMITS). */
  private readonly fetchedCommits = new Map<string, number>();
  /** Cache repositories whose maintenance runs when they are next idle. */
  private readonly maintenanceDue = new Set<string>();
  private readonly runner: GitRunner;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    repos: RepoGuard,
  ) {
    this.runner = new GitRunner(repos);
  }

  /** The commit a branch, tag or sha points to in the remote repository. */
  resolveRef(projectId: string, repoUrl: string, ref: string): Promise<string> {
    if (/^[0-9a-f]{40}$/i.test(ref)) return Promise.resolve(ref.toLowerCase());
    return this.tenantSafe(projectId, () => this.lsRemote(projectId, repoUrl, ref));
  }

  private async lsRemote(projectId: string, repoUrl: string, ref: string): Promise<string> {
    const stdout = await this.remote(null, repoUrl, [
      'ls-remote',
      '--',
      repoUrl,
      ref,
      `refs/heads/${ref}`,
      `refs/tags/${ref}`,
      `refs/tags/${ref}^{}`,
    ]);
    const lines = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]);
    // An annotated tag's peeled entry (`^{}`) names the commit; prefer it.
    const peeled = lines.find(([, name]) => name.endsWith('^{}'));
    const match = peeled ?? lines[0];
    if (match) return match[0];
    if (/^[0-9a-f]{7,39}$/i.test(ref)) return this.expandShortSha(projectId, repoUrl, ref);
    throw new GitError(`ref "${ref}" not found in ${repoUrl}`);
  }

  /**
   * Contents of `path` at `sha`, or null when the file does not exist in that commit. A commit
   * already in the cache costs no git process (its repository's ObjectReader reads it); new
   * commits are fetched, those asked for while a fetch of the repository waits together in one.
   */
  readFile(projectId: string, repoUrl: string, sha: string, path: string): Promise<string | null> {
    return this.tenantSafe(projectId, () => this.readFileOrRepair(projectId, repoUrl, sha, path));
  }

  /** Stops the cache repositories' readers (at shutdown). */
  onModuleDestroy(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }

  private async readFileOrRepair(
    projectId: string,
    repoUrl: string,
    sha: string,
    path: string,
  ): Promise<string | null> {
    const dir = this.dirOf(projectId);
    const file = path.replace(/^\.\//, '');
    if (/[\r\n]/.test(sha) || /[\r\n]/.test(file)) {
      throw new GitError(`"${sha}:${file}" cannot be read: git names hold no line breaks`);
    }
    try {
      return await this.readFileIn(dir, repoUrl, sha, file);
    } catch (error) {
      const words = gitWords(error);
      if (words === undefined || !DAMAGED.test(words)) throw error;
      // Only a cache: a scheduler killed during a fetch can leave a damaged object behind, or its
      // git still writing.
      this.logger.warn({ projectId, error: words }, 'git cache repository damaged; fetching it again');
      await this.serialized(dir, async () => {
        this.readers.get(dir)?.close();
        await rm(dir, { recursive: true, force: true });
      });
      return this.readFileIn(dir, repoUrl, sha, file);
    }
  }

  // Reads wait for the repository's fetch in progress (serialized): a commit being fetched can
  // have its commit object written before its tree and blobs, and a read in between would take a
  // file that is there for one that is not.
  private async readFileIn(dir: string, repoUrl: string, sha: string, file: string): Promise<string | null> {
    const cached = await this.serialized(dir, () => this.show(dir, sha, file));
    if (cached !== MISSING_COMMIT) return cached;
    await this.fetchTogether(dir, repoUrl, sha);
    const fetched = await this.serialized(dir, () => this.show(dir, sha, file));
    if (fetched === MISSING_COMMIT) throw new GitError(`commit ${sha} not found in ${repoUrl}`);
    return fetched;
  }

  /** Only inside `serialized(dir)`. */
  private async show(dir: string, sha: string, file: string): Promise<string | null | typeof MISSING_COMMIT> {
    if (!existsSync(join(dir, 'HEAD'))) return MISSING_COMMIT;
    let reader = this.readers.get(dir);
    if (!reader || reader.closed) {
      reader = new ObjectReader(dir, { idleMs: READER_IDLE_MS, timeoutMs: GIT_TIMEOUT_MS });
      this.readers.set(dir, reader);
    }
    const [commit, blob] = await reader.read([`${sha}^{commit}`, `${sha}^{commit}:${file}`]);
    if (!commit) return MISSING_COMMIT;
    return blob?.type === 'blob' ? blob.content.toString('utf8') : null;
  }

  /**
   * Fetches `sha` into the repository, with every other commit asked for while this fetch
   * waits for the repository: one `git fetch` for a burst of pushes instead of one per commit.
   */
  private fetchTogether(dir: string, repoUrl: string, sha: string): Promise<void> {
    let batch = this.waitingFetches.get(dir);
    if (!batch || batch.repoUrl !== repoUrl) {
      const next = { repoUrl, shas: new Set<string>(), done: Promise.resolve() };
      next.done = this.serialized(dir, () => {
        if (this.waitingFetches.get(dir) === next) this.waitingFetches.delete(dir);
        return this.fetch(dir, repoUrl, [...next.shas]);
      });
      this.waitingFetches.set(dir, next);
      batch = next;
    }
    batch.shas.add(sha);
    return batch.done;
  }

  private dirOf(projectId: string): string {
    return join(resolve(this.config.KILN_DATA_DIR), 'git-cache', `${projectId}.git`);
  }

  private async init(dir: string): Promise<void> {
    if (existsSync(join(dir, 'HEAD'))) return;
    await mkdir(dir, { recursive: true });
    await this.git(dir, ['init', '-q', '--bare']);
  }

  /** Only inside `serialized(dir)`. */
  private async fetch(dir: string, repoUrl: string, shas: string[]): Promise<void> {
    await this.init(dir);
    try {
      await this.remote(dir, repoUrl, [
        'fetch',
        '-q',
        '--no-auto-maintenance',
        '--depth=1',
        '--',
        repoUrl,
        ...shas,
      ]);
      this.fetched(dir, shas.length);
    } catch (error) {
      if (!(error instanceof GitRemoteError)) throw error;
      // One commit the server does not have fails the others' fetch too: each on its own then.
      if (shas.length > 1) {
        for (const sha of shas) await this.fetch(dir, repoUrl, [sha]);
        return;
      }
      // Some servers refuse to serve a commit by sha; fetch every ref instead.
      this.logger.debug({ repoUrl, error: error.gitMessage }, 'shallow fetch by sha refused, fetching refs');
      await this.fetchAllRefs(dir, repoUrl);
    }
  }

  /** Only inside `serialized(dir)`. */
  private async fetchAllRefs(dir: string, repoUrl: string): Promise<void> {
    await this.remote(dir, repoUrl, [
      'fetch',
      '-q',
      '--no-auto-maintenance',
      '--',
      repoUrl,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ]);
    this.fetched(dir, 1);
  }

  /**
   * Counts fetched commits; past MAINTENANCE_EVERY_COMMITS git's `maintenance run --auto` (which
   * packs the loose objects once there are many) becomes due, and runs once the repository has no
   * operation waiting (see `serialized`): the read that needed the fetched commit goes first.
   */
  private fetched(dir: string, commits: number): void {
    const count = (this.fetchedCommits.get(dir) ?? 0) + commits;
    this.fetchedCommits.set(dir, count % MAINTENANCE_EVERY_COMMITS);
    if (count >= MAINTENANCE_EVERY_COMMITS) this.maintenanceDue.add(dir);
  }

  private maintain(dir: string): void {
    // Not detached (git's default), so that it runs inside the lock, like every other git here.
    const maintenance = ['-c', 'gc.autoDetach=false', 'maintenance', 'run', '--auto', '--quiet'];
    void this.serialized(dir, () => this.git(dir, maintenance)).catch((error: unknown) =>
      this.logger.warn({ dir, error: gitWords(error) ?? String(error) }, 'git cache maintenance failed'),
    );
  }

  private async expandShortSha(projectId: string, repoUrl: string, short: string): Promise<string> {
    const dir = this.dirOf(projectId);
    await this.serialized(dir, async () => {
      await this.init(dir);
      await this.fetchAllRefs(dir, repoUrl);
    });
    try {
      return (await this.git(dir, ['rev-parse', '--verify', '--quiet', `${short}^{commit}`])).trim();
    } catch {
      throw new GitError(`ref "${short}" not found in ${repoUrl}`);
    }
  }

  /** Whatever fails here reaches the run as a GitError: its own message, or CANNOT_FETCH_REPOSITORY. */
  private async tenantSafe<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof GitError) throw error;
      if (error instanceof RepoRefusedError) throw new GitError(error.message);
      this.logger.warn(
        { projectId, error: gitWords(error) ?? String(error) },
        'git failed; the run is told only that it cannot fetch',
      );
      throw new GitError(CANNOT_FETCH_REPOSITORY);
    }
  }

  /** A git command that talks to the repository, through the SSRF guard (GitRunner.remote). */
  private remote(cwd: string | null, repoUrl: string, args: string[]): Promise<string> {
    return this.runner.remote(repoUrl, args, { cwd: cwd ?? undefined, timeoutMs: GIT_TIMEOUT_MS });
  }

  // One git operation per cache directory at a time: concurrent fetches into one repo race.
  private async serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) {
        this.locks.delete(key);
        // Nothing waits for the repository now: the maintenance due delays no read.
        if (this.maintenanceDue.delete(key)) this.maintain(key);
      }
    }
  }

  private git(cwd: string, args: string[]): Promise<string> {
    return this.runner.run(args, { cwd, timeoutMs: GIT_TIMEOUT_MS });
  }
}

/** git's own words about a failure (for the log and the damage check), whether local or remote. */
function gitWords(error: unknown): string | undefined {
  if (error instanceof GitCommandError) return error.message;
  if (error instanceof GitRemoteError) return error.gitMessage;
  return undefined;
}
