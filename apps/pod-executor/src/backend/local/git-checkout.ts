import { loadEnv, NetGuardEnv } from '@kiln/config';
import {
  GitCommandError,
  gitProcessEnv,
  GitRemoteError,
  GitRunner,
  redactUrls,
  RepoRefusedError,
} from '@kiln/git';
import { CANNOT_FETCH_REPOSITORY, repoGuardFrom } from '@kiln/net-guard';
import { Logger } from '@nestjs/common';
import { WorkspaceSetupError } from '../backend';
import { spawner } from './spawner';

const CHECKOUT_TIMEOUT_MS = 10 * 60_000;
/** A workspace is removed with its run: what git writes there need not survive a power cut. */
const THROWAWAY_REPO = '-c core.fsync=none';
const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;
const logger = new Logger('GitCheckout');

export interface CheckoutTarget {
  repoUrl: string;
  commitSha: string;
  gitRef: string;
}

/**
 * Fills an empty directory with the repository at one commit: a shallow fetch of exactly that
 * commit, or of everything when the server refuses to serve a commit by its sha. Fetches pass the
 * SSRF guard (GitRunner.remote, as in the scheduler); git's own error text goes to the log only.
 */
export async function checkoutCommit(dir: string, target: CheckoutTarget): Promise<void> {
  const wanted = target.commitSha || target.gitRef;
  if (!wanted) throw new WorkspaceSetupError('the run names neither a commit nor a ref to check out');
  if (target.commitSha && !COMMIT_SHA.test(target.commitSha)) {
    throw new WorkspaceSetupError(`"${target.commitSha}" is not a commit sha`);
  }
  if (wanted.startsWith('-')) throw new WorkspaceSetupError(`"${wanted}" is not a git ref`);
  const git = runner();
  // Refused before git runs, so a refused URL leaves nothing behind; each fetch is checked again.
  const gitOptions = await git.vet(target.repoUrl).catch((error: unknown) => {
    throw error instanceof RepoRefusedError ? new WorkspaceSetupError(error.message) : error;
  });
  const options = { cwd: dir, timeoutMs: CHECKOUT_TIMEOUT_MS };
  const fetch = (...refspecs: string[]) => git.remote(target.repoUrl, ['fetch', '-q', ...refspecs], options);
  try {
    try {
      await shallowCheckout(dir, target.repoUrl, wanted, gitOptions);
    } catch (error) {
      logger.debug(
        { repoUrl: redactUrls(target.repoUrl), wanted, error: gitWords(error) },
        'shallow checkout failed',
      );
      // Servers without allow-reachable-sha1-in-want refuse a bare sha: take every branch and tag.
      await git.run(['init', '-q', '--template='], options);
      await fetch(
        '--no-auto-maintenance',
        '--',
        target.repoUrl,
        '+refs/heads/*:refs/remotes/origin/*',
        '+refs/tags/*:refs/tags/*',
      );
      const commit = target.commitSha || `origin/${target.gitRef.replace(/^refs\/heads\//, '')}`;
      await git.run(['checkout', '-q', '--detach', commit], options);
    }
  } catch (error) {
    if (error instanceof RepoRefusedError) throw new WorkspaceSetupError(error.message);
    logger.warn({ repoUrl: redactUrls(target.repoUrl), wanted, error: gitWords(error) }, 'checkout failed');
    throw new WorkspaceSetupError(`cannot check out ${wanted}: ${CANNOT_FETCH_REPOSITORY}`);
  }
}

/**
 * `git init`, a shallow fetch of `$2` from `$1` (with the guard's options, `$3…`) and the checkout,
 * in one shell: one process started by the executor's spawner instead of three, since starting a
 * process from Node costs far more than from sh. No template (no sample hooks to write and
 * delete again), and the fetched objects kept in one pack rather than a file each. A workspace
 * lives for one run: no `git maintenance` after the fetch (a process of its own) and no fsync of
 * the pack and index (THROWAWAY_REPO).
 */
const SHALLOW_CHECKOUT = `set -e
url=$1 wanted=$2
shift 2
git init -q --template=
git "$@" -c transfer.unpackLimit=1 ${THROWAWAY_REPO} fetch -q --no-auto-maintenance --depth 1 -- "$url" "$wanted"
git ${THROWAWAY_REPO} checkout -q --detach FETCH_HEAD`;

/** Runs SHALLOW_CHECKOUT in `dir` in git's hardened environment; on timeout its whole process group is killed. */
async function shallowCheckout(dir: string, repoUrl: string, wanted: string, gitOptions: string[]): Promise<void> {
  const sh = await spawner().spawn({
    file: 'sh',
    args: ['-c', SHALLOW_CHECKOUT, 'sh', repoUrl, wanted, ...gitOptions],
    cwd: dir,
    env: gitProcessEnv(),
    detached: true,
    pipes: [2],
  });
  let stderr = '';
  sh.output(2).on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => sh.kill('SIGKILL', true), CHECKOUT_TIMEOUT_MS);
  const { code, signal } = await sh.closed.finally(() => clearTimeout(timer));
  if (code !== 0) throw new GitCommandError(redactUrls(stderr.trim() || `git ended (${signal ?? code})`));
}

// The guard's settings come from the same environment the executor's config reads, once.
let git: GitRunner | undefined;
function runner(): GitRunner {
  git ??= new GitRunner(
    repoGuardFrom({
      ...loadEnv([NetGuardEnv], process.env),
      KILN_DATA_DIR: process.env.KILN_DATA_DIR || '.kiln',
    }),
  );
  return git;
}

function gitWords(error: unknown): string {
  if (error instanceof GitRemoteError) return error.gitMessage;
  if (error instanceof GitCommandError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
