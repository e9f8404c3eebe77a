import { AllowList, CANNOT_FETCH_REPOSITORY, NetGuard, RepoGuard } from '@kiln/net-guard';
import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
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
    git = cacheWith([]);
  });
  const cacheWith = (allowed: string[]) =>
    new GitCacheService(
      { KILN_DATA_DIR: dataDir } as SchedulerConfig,
      new RepoGuard(new NetGuard(new AllowList(allowed)), {
        allowLocal: true,
        localRoots: [tmpdir()],
        ownDirs: [dataDir],
      }),
    );

  afterEach(() => {
    git.onModuleDestroy();
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
      expect(await git.readFile(project, repo.url, sha, 'docs')).toBeNull();
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

  it('still packs the cache repository once enough commits were fetched into it', async () => {
    const project = randomUUID();
    const first = repo.commit({ '.platform.yaml': '0' });
    expect(await git.readFile(project, repo.url, first, '.platform.yaml')).toBe('0');
    // Each fetch keeps a pack, and more than one pack is enough for git's automatic maintenance.
    const cache = join(dataDir, 'git-cache', `${project}.git`);
    execFileSync('git', ['-C', cache, 'config', 'transfer.unpackLimit', '1']);
    execFileSync('git', ['-C', cache, 'config', 'gc.autoPackLimit', '1']);
    const packs = () => readdirSync(join(cache, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));

    const shas = Array.from({ length: 49 }, (_, i) => repo.commit({ '.platform.yaml': String(i + 1) }));
    for (const [i, sha] of shas.slice(0, 2).entries()) {
      expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe(String(i + 1));
    }
    const rest = shas.slice(2, 48);
    expect(
      await Promise.all(rest.map((sha) => git.readFile(project, repo.url, sha, '.platform.yaml'))),
    ).toEqual(rest.map((_, i) => String(i + 3)));
    expect(packs().length).toBeGreaterThan(1);

    // The 50th commit fetched: the maintenance runs once its read is done, before the next read.
    expect(await git.readFile(project, repo.url, shas[48], '.platform.yaml')).toBe('49');
    expect(await git.readFile(project, repo.url, first, '.platform.yaml')).toBe('0');
    // Repacked: into one pack, or loose (the cache holds no refs, so git keeps its objects as unreachable).
    expect(packs().length).toBeLessThanOrEqual(1);
  });

  it('names a commit the repository does not have', async () => {
    repo.commit({ '.platform.yaml': 'one' });
    const unknown = 'f'.repeat(40);

    const read = git.readFile(randomUUID(), repo.url, unknown, '.platform.yaml');

    await expect(read).rejects.toThrow(GitError);
    await expect(read).rejects.toThrow(`commit ${unknown} not found in ${repo.url}`);
  });

  it('reads the commits fetched together with one the repository does not have', async () => {
    const project = randomUUID();
    const first = repo.commit({ '.platform.yaml': 'one' });
    const unknown = 'e'.repeat(40);

    const [known, missing] = await Promise.allSettled([
      git.readFile(project, repo.url, first, '.platform.yaml'),
      git.readFile(project, repo.url, unknown, '.platform.yaml'),
    ]);

    expect(known).toEqual({ status: 'fulfilled', value: 'one' });
    expect(missing).toMatchObject({
      status: 'rejected',
      reason: { message: `commit ${unknown} not found in ${repo.url}` },
    });
  });

  it("refuses a commit or path with a line break, which would end git's request early", async () => {
    const sha = repo.commit({ '.platform.yaml': 'one' });
    const read = git.readFile(randomUUID(), repo.url, sha, '.platform.yaml\nHEAD:secret');
    await expect(read).rejects.toThrow(GitError);
    await expect(read).rejects.toThrow('git names hold no line breaks');
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

  it('refuses repositories the SSRF guard refuses, before git runs', async () => {
    for (const url of [
      'https://127.0.0.1:6379/x.git',
      'git://0x7f000001/x',
      'ssh://git@10.0.0.1/x',
      'https://metadata.google.internal/x',
    ]) {
      const read = git.readFile(randomUUID(), url, 'f'.repeat(40), '.platform.yaml');
      await expect(read).rejects.toThrow(GitError);
      await expect(read).rejects.toThrow(
        /^cannot fetch the repository: repo_url host is a (loopback|private|cloud metadata) (address|name)/,
      );
    }
  });

  it('refuses to read local repositories outside the roots or inside its own data directory', async () => {
    const outside = git.resolveRef(randomUUID(), 'file:///etc', 'main');
    await expect(outside).rejects.toThrow('cannot fetch the repository: repo_url is outside the directories');
    const project = randomUUID();
    const sha = repo.commit({ '.platform.yaml': 'one' });
    expect(await git.readFile(project, repo.url, sha, '.platform.yaml')).toBe('one');
    const cache = `file://${join(dataDir, 'git-cache', `${project}.git`)}`;
    await expect(git.resolveRef(randomUUID(), cache, 'main')).rejects.toThrow(
      "inside the platform's own data directory",
    );
  });

  describe('with a listener on 127.0.0.1 that the operator allows', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url?.startsWith('/moved'))
          res.writeHead(301, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
        else res.writeHead(404).end('no such repository');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('tells an open port and a closed one apart by nothing but the log', async () => {
      const allowed = cacheWith(['127.0.0.1']);
      const closed = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as AddressInfo;
          probe.close(() => resolve(free));
        });
      });
      const errors = await Promise.all(
        [
          `http://127.0.0.1:${port}/acme/api.git`,
          `http://127.0.0.1:${closed}/acme/api.git`,
          `http://127.0.0.1:${port}/moved`,
        ].map((url) =>
          allowed.resolveRef(randomUUID(), url, 'main').then(
            () => 'resolved',
            (error: Error) => error.message,
          ),
        ),
      );
      expect(errors).toEqual([CANNOT_FETCH_REPOSITORY, CANNOT_FETCH_REPOSITORY, CANNOT_FETCH_REPOSITORY]);
    });
  });
});
