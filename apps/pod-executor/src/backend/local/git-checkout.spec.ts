import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceSetupError } from '../backend';
import { checkoutCommit } from './git-checkout';

// The guard reads its settings from the environment once: local repositories inside the temporary
// directory, nothing private allowed. No test connects anywhere but a local path.
describe('checkoutCommit', () => {
  const saved = { ...process.env };
  let repo: TestGitRepo;
  let dir: string;

  beforeAll(() => {
    process.env.KILN_ALLOW_LOCAL_REPOS = 'true';
    process.env.KILN_LOCAL_REPO_ROOTS = tmpdir();
    process.env.KILN_ALLOWED_PRIVATE_HOSTS = '';
  });
  afterAll(() => {
    process.env = saved;
  });
  beforeEach(() => {
    repo = createGitRepo();
    dir = mkdtempSync(join(tmpdir(), 'kiln-checkout-'));
  });
  afterEach(() => {
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks out a commit of a repository inside the roots, a clean work tree at a detached HEAD', async () => {
    const sha = repo.commit({ 'README.md': 'hello', 'src/main.sh': 'echo hi' });
    repo.commit({ 'README.md': 'later' });
    await checkoutCommit(dir, { repoUrl: repo.url, commitSha: sha, gitRef: 'main' });
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('hello');
    expect(readFileSync(join(dir, 'src/main.sh'), 'utf8')).toBe('echo hi');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    expect(git('rev-parse', 'HEAD')).toBe(sha);
    // Detached, and nothing changed or untracked: only the header lines.
    const status = git('status', '--porcelain=v2', '--branch', '--untracked-files=all').split('\n');
    expect(status).toContain('# branch.head (detached)');
    expect(status.filter((line) => !line.startsWith('#'))).toEqual([]);
    expect(git('rev-parse', '--is-shallow-repository')).toBe('true');
  });

  it('checks out a short sha, which git cannot fetch by itself, from the fetched branches', async () => {
    const first = repo.commit({ 'README.md': 'first' });
    repo.commit({ 'README.md': 'second' });
    await checkoutCommit(dir, { repoUrl: repo.url, commitSha: first.slice(0, 10), gitRef: 'main' });
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('first');
  });

  it.each([
    ['http://127.0.0.1:6379/acme/api.git', 'repo_url host is a loopback address'],
    ['https://0x7f000001/acme/api.git', 'repo_url host is a loopback address'],
    ['ssh://git@169.254.169.254/x', 'repo_url host is a cloud metadata address'],
    ['https://metadata.google.internal/x', 'repo_url host is a cloud metadata name'],
    ['file:///etc', 'repo_url is outside the directories local repositories may be read from'],
  ])('refuses %s before git runs', async (repoUrl, reason) => {
    const checkout = checkoutCommit(dir, { repoUrl, commitSha: 'a'.repeat(40), gitRef: 'main' });
    await expect(checkout).rejects.toBeInstanceOf(WorkspaceSetupError);
    await expect(checkout).rejects.toThrow(`cannot fetch the repository: ${reason}`);
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });

  it("says only the fixed sentence when git fails, never git's own words", async () => {
    const missing = `file://${join(dir, 'no-such-repo')}`;
    await expect(
      checkoutCommit(dir, { repoUrl: missing, commitSha: 'a'.repeat(40), gitRef: 'main' }),
    ).rejects.toThrow(
      new WorkspaceSetupError(
        `cannot check out ${'a'.repeat(40)}: cannot fetch the repository: it does not exist, is not reachable, or needs credentials`,
      ),
    );
  });
});
