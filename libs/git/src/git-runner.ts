import { CANNOT_FETCH_REPOSITORY, RepoGuard } from '@kiln/net-guard';
import { execFile } from 'node:child_process';
import { gitProcessEnv, redactUrls } from './git-env';

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const ERROR_TEXT_MAX = 2000;

export interface GitOptions {
  /** The working directory (`git -C`); none for commands that need no repository (`ls-remote`). */
  cwd?: string;
  /** The command is killed after this long. */
  timeoutMs: number;
  /** The command is killed once its output passes this size (16 MB unless told). */
  maxOutputBytes?: number;
}

/** A git command that failed; its message is git's own words (URL credentials removed), for logs and local reads. */
export class GitCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/**
 * A command against a tenant's repository that failed. Its message is the one fixed sentence a
 * tenant may read (CANNOT_FETCH_REPOSITORY): git's words about a remote tell an open port from a
 * closed one, which would make any error a tenant sees a port scanner. They are in `gitMessage`,
 * for the log.
 */
export class GitRemoteError extends Error {
  constructor(readonly gitMessage: string) {
    super(CANNOT_FETCH_REPOSITORY);
    this.name = 'GitRemoteError';
  }
}

/** The SSRF guard refused the repository URL; the reason is the tenant's to read. */
export class RepoRefusedError extends Error {
  constructor(reason: string) {
    super(`cannot fetch the repository: ${reason}`);
    this.name = 'RepoRefusedError';
  }
}

/** Runs git in the hardened environment (GIT_ENV) with a timeout and bounded output. */
export class GitRunner {
  constructor(private readonly repos: RepoGuard) {}

  /** A command on a local repository only; returns its standard output. */
  run(args: string[], options: GitOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        options.cwd === undefined ? args : ['-C', options.cwd, ...args],
        {
          env: gitProcessEnv(),
          timeout: options.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: options.maxOutputBytes ?? MAX_OUTPUT_BYTES,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          reject(new GitCommandError(redactUrls(failure(error, stderr, options)).slice(0, ERROR_TEXT_MAX)));
        },
      );
    });
  }

  /** The `git -c` options for fetching `repoUrl` now; RepoRefusedError when the SSRF guard refuses it. */
  async vet(repoUrl: string): Promise<string[]> {
    const check = await this.repos.check(repoUrl, true);
    if (!check.ok) throw new RepoRefusedError(check.reason);
    return check.gitOptions;
  }

  /**
   * A command that talks to the repository at `repoUrl` (which `args` name where git wants it):
   * the URL passes the SSRF guard first, since DNS may have changed since the project was saved,
   * and git gets the guard's options (no redirects, the connection pinned to the vetted address).
   * Throws RepoRefusedError or GitRemoteError, never git's own words.
   */
  async remote(repoUrl: string, args: string[], options: GitOptions): Promise<string> {
    const gitOptions = await this.vet(repoUrl);
    try {
      return await this.run([...gitOptions, ...args], options);
    } catch (error) {
      if (error instanceof GitCommandError) throw new GitRemoteError(error.message);
      throw error;
    }
  }
}

function failure(
  error: Error & { code?: unknown; killed?: boolean },
  stderr: string,
  options: GitOptions,
): string {
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return `git's output passed ${options.maxOutputBytes ?? MAX_OUTPUT_BYTES} bytes; it was stopped`;
  }
  if (error.killed) return `git did not finish within ${options.timeoutMs} ms; it was stopped`;
  return stderr.trim() || error.message;
}
