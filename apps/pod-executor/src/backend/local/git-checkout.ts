import { loadEnv, NetGuardEnv } from '@kiln/config';
import { CANNOT_FETCH_REPOSITORY, RepoGuard, repoGuardFrom } from '@kiln/net-guard';
import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkspaceSetupError } from '../backend';

const run = promisify(execFile);

const CHECKOUT_TIMEOUT_MS = 10 * 60_000;
const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;
const logger = new Logger('GitCheckout');

export interface CheckoutTarget {
  repoUrl: string;
  commitSha: string;
  gitRef: string;
}

/**
 * Fills an empty directory with the repository at one commit: a shallow fetch of exactly that
 * commit, or of everything when the server refuses to serve a commit by its sha. The URL passes
 * the SSRF guard first (as in the scheduler); git's own error text goes to the log only.
 */
export async function checkoutCommit(dir: string, target: CheckoutTarget): Promise<void> {
  const wanted = target.commitSha || target.gitRef;
  if (!wanted) throw new WorkspaceSetupError('the run names neither a commit nor a ref to check out');
  if (target.commitSha && !COMMIT_SHA.test(target.commitSha)) {
    throw new WorkspaceSetupError(`"${target.commitSha}" is not a commit sha`);
  }
  if (wanted.startsWith('-')) throw new WorkspaceSetupError(`"${wanted}" is not a git ref`);
  const check = await repoGuard().check(target.repoUrl, true);
  if (!check.ok) throw new WorkspaceSetupError(`cannot fetch the repository: ${check.reason}`);
  const git = (...args: string[]) =>
    run('git', [...check.gitOptions, ...args], { cwd: dir, env: GIT_ENV, timeout: CHECKOUT_TIMEOUT_MS });
  try {
    await git('init', '-q');
    try {
      await git('fetch', '-q', '--depth', '1', '--', target.repoUrl, wanted);
      await git('checkout', '-q', '--detach', 'FETCH_HEAD');
    } catch {
      // Servers without allow-reachable-sha1-in-want refuse a bare sha: take every branch and tag.
      await git(
        'fetch',
        '-q',
        '--',
        target.repoUrl,
        '+refs/heads/*:refs/remotes/origin/*',
        '+refs/tags/*:refs/tags/*',
      );
      await git(
        'checkout',
        '-q',
        '--detach',
        target.commitSha || `origin/${target.gitRef.replace(/^refs\/heads\//, '')}`,
      );
    }
  } catch (error) {
    logger.warn({ repoUrl: redactUrl(target.repoUrl), wanted, error: gitMessage(error) }, 'checkout failed');
    throw new WorkspaceSetupError(`cannot check out ${wanted}: ${CANNOT_FETCH_REPOSITORY}`);
  }
}

// The guard's settings come from the same environment the executor's config reads, once.
let guard: RepoGuard | undefined;
function repoGuard(): RepoGuard {
  guard ??= repoGuardFrom({
    ...loadEnv([NetGuardEnv], process.env),
    KILN_DATA_DIR: process.env.KILN_DATA_DIR || '.kiln',
  });
  return guard;
}

/** Drops credentials from a repository URL before it is written anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

// Never ask for credentials on a terminal or through a helper GUI: fail instead.
const GIT_ENV = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '/bin/false',
  SSH_ASKPASS: '/bin/false',
  GIT_CONFIG_NOSYSTEM: '1',
};

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim();
  const text = stderr || (error instanceof Error ? error.message : String(error));
  return redactUrl(text.split('\n').slice(-3).join(' ')).slice(0, 1000);
}
