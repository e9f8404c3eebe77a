import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowList } from './allow-list';
import { NetGuard } from './net-guard';
import { RepoGuard } from './repo-guard';

// Names resolve through a table; nothing here connects anywhere.
const resolveFromTable = async (host: string) => {
  const table: Record<string, string> = { 'github.com': '140.82.112.3', 'git.corp': '10.0.0.7' };
  if (!table[host]) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return [{ address: table[host]!, family: 4 }];
};

describe('RepoGuard', () => {
  let base: string;
  let roots: string;
  let dataDir: string;
  let repos: RepoGuard;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'kiln-repo-guard-'));
    roots = join(base, 'repos');
    dataDir = join(base, 'repos', 'data');
    mkdirSync(join(roots, 'app'), { recursive: true });
    mkdirSync(join(dataDir, 'git-cache', 'other.git'), { recursive: true });
    mkdirSync(join(base, 'secret'));
    symlinkSync(join(base, 'secret'), join(roots, 'link'));
    repos = guardWith({ allowLocal: true, localRoots: [roots], ownDirs: [dataDir] });
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const guardWith = (policy: ConstructorParameters<typeof RepoGuard>[1], allow: string[] = []) =>
    new RepoGuard(new NetGuard(new AllowList(allow), resolveFromTable), policy);

  it('pins https fetches to the vetted address and forbids redirects', async () => {
    expect(await repos.check('https://github.com/acme/api.git', true)).toEqual({
      ok: true,
      fullName: 'acme/api',
      gitOptions: [
        '-c',
        'http.followRedirects=false',
        '-c',
        'http.curloptResolve=github.com:443:140.82.112.3',
      ],
    });
    expect(await repos.check('ssh://git@github.com:2222/acme/api.git', true)).toMatchObject({ ok: true });
    expect(await repos.check('git@github.com:acme/api.git', true)).toMatchObject({
      ok: true,
      fullName: 'acme/api',
    });
  });

  it.each([
    ['https://127.0.0.1:6379/x', 'repo_url host is a loopback address'],
    ['http://[::1]:8080/x', 'repo_url host is a loopback address'],
    ['git://0x7f000001/x', 'repo_url host is a loopback address'],
    ['ssh://git@10.0.0.1/x', 'repo_url host is a private address'],
    ['git@192.168.1.1:acme/api.git', 'repo_url host is a private address'],
    ['https://git.corp/acme/api.git', 'repo_url host resolves to a private address'],
    ['http://169.254.169.254/latest/meta-data', 'repo_url host is a cloud metadata address'],
    ['https://metadata.google.internal/x', 'repo_url host is a cloud metadata name'],
    [
      'https://token@github.com/acme/api.git',
      'repo_url must not contain credentials: put credentials in a secret',
    ],
    ['https://user:hunter2@github.com/acme/api.git', 'must not contain credentials'],
  ])('refuses %s', async (url, reason) => {
    const check = await repos.check(url, false);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('lets an unresolvable host be saved, and refuses to fetch from it', async () => {
    expect(await repos.check('https://git.nowhere.invalid/a/b', false)).toEqual({
      ok: true,
      fullName: 'a/b',
      gitOptions: ['-c', 'http.followRedirects=false'],
    });
    expect(await repos.check('https://git.nowhere.invalid/a/b', true)).toEqual({
      ok: false,
      reason: 'repo_url host does not resolve',
    });
  });

  it('lets the allow-list open a private repository host', async () => {
    const open = guardWith({ allowLocal: false, localRoots: [], ownDirs: [] }, ['git.corp']);
    expect(await open.check('https://git.corp/acme/api.git', true)).toMatchObject({
      ok: true,
      fullName: 'acme/api',
    });
  });

  it('reads local repositories only inside the roots, never the data directory', async () => {
    expect(await repos.check(join(roots, 'app'), true)).toEqual({ ok: true, fullName: null, gitOptions: [] });
    expect(await repos.check(`file://${join(roots, 'app')}`, true)).toMatchObject({ ok: true });
    expect(await repos.check(join(roots, 'not-yet'), true)).toMatchObject({ ok: true });
    for (const [path, reason] of [
      [join(base, 'secret'), 'is outside the directories'],
      [`${roots}/../secret`, 'is outside the directories'],
      [`file://${roots}/../secret`, 'is outside the directories'],
      [join(roots, 'link'), 'is outside the directories'],
      [join(roots, 'link', 'deeper'), 'is outside the directories'],
      ['/etc', 'is outside the directories'],
      [join(dataDir, 'git-cache', 'other.git'), "inside the platform's own data directory"],
    ]) {
      const check = await repos.check(path!, true);
      expect({ path, reason: !check.ok && check.reason }).toEqual({
        path,
        reason: expect.stringContaining(reason!),
      });
    }
  });

  it('refuses local repositories without roots, or when they are off', async () => {
    const noRoots = guardWith({ allowLocal: true, localRoots: [], ownDirs: [] });
    expect(await noRoots.check(join(roots, 'app'), true)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('KILN_LOCAL_REPO_ROOTS'),
    });
    const off = guardWith({ allowLocal: false, localRoots: [roots], ownDirs: [] });
    expect(await off.check(join(roots, 'app'), true)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('KILN_ALLOW_LOCAL_REPOS is off'),
    });
  });
});
