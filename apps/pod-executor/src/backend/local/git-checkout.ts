import { loadEnv, NetGuardEnv } from '@kiln/config';
import { GitCommandError, GitRemoteError, GitRunner, redactUrls, RepoRefusedError } from '@kiln/git';
import { CANNOT_FETCH_REPOSITORY, repoGuardFrom } from '@kiln/net-guard';
import { Logger } from '@nestjs/common';
import { WorkspaceSetupError } from '../backend';

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
  await git.vet(target.repoUrl).catch((error: unknown) => {
    throw error instanceof RepoRefusedError ? new WorkspaceSetupError(error.message) : error;
  });
  const options = { cwd: dir, timeoutMs: CHECKOUT_TIMEOUT_MS };
  const fetch = (...refspecs: string[]) => git.remote(target.repoUrl, ['fetch', '-q', ...refspecs], options);
  try {
    await git.run(['init', '-q'], options);
    try {
      await fetch('--depth', '1', '--', target.repoUrl, wanted);
      await git.run(['checkout', '-q', '--detach', 'FETCH_HEAD'], options);
    } catch (error) {
      if (error instanceof RepoRefusedError) throw error;
      // Servers without allow-reachable-sha1-in-want refuse a bare sha: take every branch and tag.
      await fetch('--', target.repoUrl, '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
      const commit = target.commitSha || `origin/${target.gitRef.replace(/^refs\/heads\//, '')}`;
      await git.run(['checkout', '-q', '--detach', commit], options);
    }
  } catch (error) {
    if (error instanceof RepoRefusedError) throw new WorkspaceSetupError(error.message);
    logger.warn({ repoUrl: redactUrls(target.repoUrl), wanted, error: gitWords(error) }, 'checkout failed');
    throw new WorkspaceSetupError(`cannot check out ${wanted}: ${CANNOT_FETCH_REPOSITORY}`);
  }
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
