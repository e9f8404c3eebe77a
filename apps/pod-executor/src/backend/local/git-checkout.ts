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
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkspaceSetupError } from '../backend';
import { spawner } from './spawner';

const CHECKOUT_TIMEOUT_MS = 10 * 60_000;
/** A workspace is removed with its run: what git writes there need not survive a power cut. */
const THROWAWAY_REPO = '-c core.fsync=none';
const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;
/** A whole object name (SHA-1 or SHA-256): what a shallow fetch can ask a server for. */
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const logger = new Logger('GitCheckout');

export interface CheckoutTarget {
  repoUrl: string;
  commitSha: string;
  gitRef: string;
}

/**
 * Fills an empty directory with the repository at one commit: a shallow fetch of exactly that
 * commit, or of everything when the run names a short sha or only a ref, or the server refuses to
 * serve a commit by its sha. Fetches pass the SSRF guard (GitRunner.remote, as in the scheduler);
 * git's own error text goes to the log only.
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
    // Only a whole sha can be fetched alone. A short one, a ref, or a sha the server refused (no
    // allow-reachable-sha1-in-want) takes every branch and tag.
    const sha = target.commitSha;
    if (FULL_SHA.test(sha) && (await shallowCheckout(dir, target.repoUrl, sha, gitOptions))) return;
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
  } catch (error) {
    if (error instanceof RepoRefusedError) throw new WorkspaceSetupError(error.message);
    logger.warn({ repoUrl: redactUrls(target.repoUrl), wanted, error: gitWords(error) }, 'checkout failed');
    throw new WorkspaceSetupError(`cannot check out ${wanted}: ${CANNOT_FETCH_REPOSITORY}`);
  }
}

/**
 * A shallow fetch of commit `$2` from `$1` (with the guard's options, `$3…`) and its checkout into
 * the work tree, in one shell: one process started by the executor's spawner instead of two, since
 * starting a process from Node costs far more than from sh. The fetched objects stay in one pack
 * rather than a file each. A workspace lives for one run: no `git maintenance` after the fetch (a
 * process of its own), no fsync of the pack and index (THROWAWAY_REPO), no FETCH_HEAD (the commit
 * is known), and HEAD already names the commit (writeRepositoryFiles), so the tree is read into the
 * index and the work tree without writing HEAD again.
 */
const SHALLOW_CHECKOUT = `set -e
url=$1 wanted=$2
shift 2
git "$@" -c transfer.unpackLimit=1 ${THROWAWAY_REPO} fetch -q --no-auto-maintenance --no-write-fetch-head --depth 1 -- "$url" "$wanted"
git ${THROWAWAY_REPO} read-tree -u --reset "$wanted"`;

/**
 * What `git init --template=` leaves, written here instead of by a git process of its own (which
 * also writes its config key by key, a lock file each, and makes directories a fetch makes when it
 * needs them): HEAD detached at the commit to check out, and no reflogs (a directory and a file
 * per run that nothing reads). Creating a file costs far more than writing one on the disks
 * measured (bench/README.md, round eight).
 */
async function writeRepositoryFiles(dir: string, commitSha: string): Promise<void> {
  const git = join(dir, '.git');
  await mkdir(join(git, 'objects'), { recursive: true });
  await mkdir(join(git, 'refs'));
  await writeFile(join(git, 'HEAD'), `${commitSha}\n`);
  await writeFile(
    join(git, 'config'),
    '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = false\n',
  );
}

/**
 * Runs SHALLOW_CHECKOUT in `dir` in git's hardened environment; on timeout its whole process group
 * is killed. False when it failed (git's words go to the debug log): the caller fetches everything.
 */
async function shallowCheckout(
  dir: string,
  repoUrl: string,
  commitSha: string,
  gitOptions: string[],
): Promise<boolean> {
  try {
    await writeRepositoryFiles(dir, commitSha);
    const sh = await spawner().spawn({
      file: 'sh',
      args: ['-c', SHALLOW_CHECKOUT, 'sh', repoUrl, commitSha, ...gitOptions],
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
    if (code === 0) return true;
    throw new GitCommandError(redactUrls(stderr.trim() || `git ended (${signal ?? code})`));
  } catch (error) {
    logger.debug(
      { repoUrl: redactUrls(repoUrl), commitSha, error: gitWords(error) },
      'shallow checkout failed',
    );
    return false;
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
