import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerConfig } from '../config';
import { GitCacheService, GitError } from './git-cache.service';

// The definition source of every run: a bare cache repository per project, fed from a real
// git repository over file://.
describe('GitCacheService', () => {
  let dataDir: string;
  let repo: TestGitRepo;
  let git: GitCacheService;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kiln-git-cache-'));
    repo = createGitRepo();
    git = new GitCacheService({ KILN_DATA_DIR: dataDir } as SchedulerConfig);
  });
  afterEach(() => {
    repo.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads a file at a commit, and again from the cache when the remote is gone', async () => {
    const project = randomUUID();
    const sha = repo.commit({ '.platform.yaml': 'first', 'docs/readme.md': 'docs' });

    expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe('first');
    expect(await git.readFile(project, repo.url, sha, './docs/readme.md')).toBe('docs');

    renameSync(repo.dir, `${repo.dir}-gone`);
    try {
      expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe('first');
      expect(await git.readFile(project, repo.url, sha, 'missing.yaml')).toBeNull();
    } finally {
      renameSync(`${repo.dir}-gone`, repo.dir);
    }
  });

  it('fetches commits made after the cache was created, also several at once', async () => {
    const project = randomUUID();
    const first = repo.commit({ '.platform.yaml': 'one' });
    expect(await git.readFile(project, repo.url, first, '.platform.yaml')).toBe('one');

    const second = repo.commit({ '.platform.yaml': 'two' });
    const third = repo.commit({ '.platform.yaml': null, 'other.yaml': 'three' });

    const reads = await Promise.all([
      git.readFile(project, repo.url, second, '.platform.yaml'),
      git.readFile(project, repo.url, third, '.platform.yaml'),
      git.readFile(project, repo.url, third, 'other.yaml'),
      git.readFile(randomUUID(), repo.url, third, 'other.yaml'),
    ]);
    expect(reads).toEqual(['two', null, 'three', 'three']);
  });

  it('fetches again when the cache repository is damaged, as a scheduler killed mid-fetch can leave it', async () => {
    const project = randomUUID();
    const sha = repo.commit({ '.platform.yaml': 'first' });
    expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe('first');

    const objects = join(dataDir, 'git-cache', `${project}.git`, 'objects');
    const loose = readdirSync(objects)
      .filter((d) => /^[0-9a-f]{2}$/.test(d))
      .flatMap((d) => readdirSync(join(objects, d)).map((f) => join(objects, d, f)));
    expect(loose.length).toBeGreaterThan(0);
    for (const file of loose) {
      chmodSync(file, 0o644);
      writeFileSync(file, 'not zlib');
    }

    expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe('first');
  });

  it('names a commit the repository does not have', async () => {
    repo.commit({ '.platform.yaml': 'one' });
    const unknown = 'f'.repeat(40);

    const read = git.readFile(randomUUID(), repo.url, unknown, '.platform.yaml');

    await expect(read).rejects.toThrow(GitError);
    await expect(read).rejects.toThrow(`commit ${unknown} not found in ${repo.url}`);
  });

  it('resolves branches, tags and short shas to commits', async () => {
    const sha = repo.commit({ '.platform.yaml': 'one' });
    repo.tag('v1');
    const project = randomUUID();

    expect(await git.resolveRef(project, repo.url, 'main')).toBe(sha);
    expect(await git.resolveRef(project, repo.url, 'refs/tags/v1')).toBe(sha);
    expect(await git.resolveRef(project, repo.url, sha.slice(0, 10))).toBe(sha);
    await expect(git.resolveRef(project, repo.url, 'no-such-branch')).rejects.toThrow(
      `ref "no-such-branch" not found in ${repo.url}`,
    );
  });
});
