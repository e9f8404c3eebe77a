import { GitCommandError, GitRemoteError, GitRunner, RepoRefusedError } from '@kiln/git';
import { CANNOT_FETCH_REPOSITORY, RepoGuard } from '@kiln/net-guard';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';

const GIT_TIMEOUT_MS = 120_000;
const MISSING_COMMIT = Symbol('missing commit');
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
export class GitCacheService {
  private readonly logger = new Logger(GitCacheService.name);
  private readonly locks = new Map<string, Promise<unknown>>();
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
   * already in the cache costs one git process; a new one three (show, fetch, show).
   */
  readFile(projectId: string, repoUrl: string, sha: string, path: string): Promise<string | null> {
    return this.tenantSafe(projectId, () => this.readFileOrRepair(projectId, repoUrl, sha, path));
  }

  private async readFileOrRepair(
    projectId: string,
    repoUrl: string,
    sha: string,
    path: string,
  ): Promise<string | null> {
    const dir = this.dirOf(projectId);
    const file = path.replace(/^\.\//, '');
    try {
      return await this.readFileIn(dir, repoUrl, sha, file);
    } catch (error) {
      const words = gitWords(error);
      if (words === undefined || !DAMAGED.test(words)) throw error;
      // Only a cache: a scheduler killed during a fetch can leave a damaged object behind, or its
      // git still writing.
      this.logger.warn({ projectId, error: words }, 'git cache repository damaged; fetching it again');
      await this.serialized(dir, () => rm(dir, { recursive: true, force: true }));
      return this.readFileIn(dir, repoUrl, sha, file);
    }
  }

  // One git operation per cache repository at a time, reads included: a commit being fetched
  // can have its commit object written before its tree and blobs, and a read in between would
  // take a file that is there for one that is not.
  private readFileIn(dir: string, repoUrl: string, sha: string, file: string): Promise<string | null> {
    return this.serialized(dir, async () => {
      if (existsSync(join(dir, 'HEAD'))) {
        const cached = await this.show(dir, sha, file);
        if (cached !== MISSING_COMMIT) return cached;
      }
      await this.fetch(dir, repoUrl, sha);
      const fetched = await this.show(dir, sha, file);
      if (fetched === MISSING_COMMIT) throw new GitError(`commit ${sha} not found in ${repoUrl}`);
      return fetched;
    });
  }

  private async show(dir: string, sha: string, file: string): Promise<string | null | typeof MISSING_COMMIT> {
    try {
      return await this.git(dir, ['show', `${sha}^{commit}:${file}`]);
    } catch (error) {
      if (/does not exist|exists on disk, but not in/.test(String(error))) return null;
      // Not fetched yet.
      if (/invalid object name|not a git repository/.test(String(error))) return MISSING_COMMIT;
      throw error;
    }
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
  private async fetch(dir: string, repoUrl: string, sha: string): Promise<void> {
    await this.init(dir);
    try {
      await this.remote(dir, repoUrl, ['fetch', '-q', '--depth=1', '--', repoUrl, sha]);
    } catch (error) {
      if (!(error instanceof GitRemoteError)) throw error;
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
      '--',
      repoUrl,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ]);
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
      if (this.locks.get(key) === next) this.locks.delete(key);
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
