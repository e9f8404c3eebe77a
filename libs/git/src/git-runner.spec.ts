import { AllowList, CANNOT_FETCH_REPOSITORY, NetGuard, RepoGuard } from '@kiln/net-guard';
import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCommandError, GitRemoteError, GitRunner, RepoRefusedError } from './git-runner';

// Real git against real repositories on disk; nothing connects anywhere but a local path.
describe('GitRunner', () => {
  const saved = { ...process.env };
  let repo: TestGitRepo;
  let dir: string;
  let git: GitRunner;

  beforeEach(() => {
    repo = createGitRepo();
    dir = mkdtempSync(join(tmpdir(), 'kiln-git-runner-'));
    git = new GitRunner(
      new RepoGuard(new NetGuard(new AllowList([])), {
        allowLocal: true,
        localRoots: [tmpdir()],
        ownDirs: [],
      }),
    );
  });
  afterEach(() => {
    process.env = { ...saved };
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads no global configuration and inherits no GIT_* variable', async () => {
    writeFileSync(
      join(dir, '.gitconfig'),
      '[user]\n  name = from-global\n[url "file:///elsewhere/"]\n  insteadOf = https://\n',
    );
    process.env.HOME = dir;
    process.env.GIT_DIR = '/nonexistent';
    const config = await git.run(['config', '--list', '--show-origin'], { cwd: repo.dir, timeoutMs: 10_000 });
    expect(config).not.toContain('from-global');
    expect(config).not.toContain('insteadof');
    expect(config).toContain('core.hookspath=/dev/null');
  });

  it('runs no hooks of the repository', async () => {
    const sha = repo.commit({ 'a.txt': 'a' });
    const marker = join(dir, 'hook-ran');
    mkdirSync(join(repo.dir, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(repo.dir, '.git', 'hooks', 'post-checkout'), 0o755);
    await git.run(['checkout', '-q', '--detach', sha], { cwd: repo.dir, timeoutMs: 10_000 });
    expect(existsSync(marker)).toBe(false);
  });

  it('speaks no protocol outside the allow-list', async () => {
    const marker = join(dir, 'ext-ran');
    await expect(
      git.run(['ls-remote', `ext::sh -c touch% ${marker}`], { timeoutMs: 10_000 }),
    ).rejects.toThrow(/transport 'ext' not allowed/);
    expect(existsSync(marker)).toBe(false);
  });

  it('stops a command that outlives its timeout or its output bound', async () => {
    // hash-object --stdin waits for input that never comes.
    await expect(git.run(['hash-object', '--stdin'], { timeoutMs: 300 })).rejects.toThrow(
      new GitCommandError('git did not finish within 300 ms; it was stopped'),
    );
    repo.commit({ 'big.txt': 'x'.repeat(10_000) });
    await expect(
      git.run(['show', 'HEAD:big.txt'], { cwd: repo.dir, timeoutMs: 10_000, maxOutputBytes: 1000 }),
    ).rejects.toThrow("git's output passed 1000 bytes; it was stopped");
  });

  it('fetches from a repository the guard allows', async () => {
    const sha = repo.commit({ 'a.txt': 'a' });
    expect(
      await git.remote(repo.url, ['ls-remote', '--', repo.url, 'refs/heads/main'], { timeoutMs: 10_000 }),
    ).toContain(sha);
  });

  it('tells a tenant only the fixed sentence when the remote fails, and the guard its reason', async () => {
    const missing = `file://${join(dir, 'missing')}`;
    const failed = git.remote(missing, ['ls-remote', '--', missing], { timeoutMs: 10_000 });
    await expect(failed).rejects.toBeInstanceOf(GitRemoteError);
    await expect(failed).rejects.toThrow(CANNOT_FETCH_REPOSITORY);
    await expect(failed).rejects.toMatchObject({ gitMessage: expect.stringContaining('missing') });
    const refused = git.remote(
      'https://127.0.0.1/a/b.git',
      ['ls-remote', '--', 'https://127.0.0.1/a/b.git'],
      {
        timeoutMs: 10_000,
      },
    );
    await expect(refused).rejects.toBeInstanceOf(RepoRefusedError);
    await expect(refused).rejects.toThrow('cannot fetch the repository: repo_url host is a loopback address');
  });
});
