import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspaces } from './workspaces';

describe('run workspaces', () => {
  let dataDir: string;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(() => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'hello\n' });
  });
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'kiln-workspaces-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  afterAll(() => repo.remove());

  it('ends with one complete workspace when two executors on the host clone the same run at once', async () => {
    const runId = randomUUID();
    const target = { repoUrl: repo.url, commitSha: sha, gitRef: 'main' };
    const executors = [new Workspaces(dataDir), new Workspaces(dataDir)];
    await Promise.all(executors.flatMap((w) => [w.prepare(runId, target), w.prepare(runId, target)]));
    expect(readdirSync(join(dataDir, 'workspaces'))).toEqual([runId]);
    expect(readFileSync(join(dataDir, 'workspaces', runId, 'README.md'), 'utf8')).toBe('hello\n');
  });

  it('reaps old workspaces and abandoned clones, keeping active and recent ones', async () => {
    const workspaces = new Workspaces(dataDir);
    const [old, active, recent] = [randomUUID(), randomUUID(), randomUUID()];
    const staging = `.staging-${randomUUID()}-abcd`;
    const longAgo = new Date(Date.now() - 3 * 86_400_000);
    for (const name of [old, active, recent, staging])
      mkdirSync(join(workspaces.root, name), { recursive: true });
    for (const name of [old, active, staging]) utimesSync(join(workspaces.root, name), longAgo, longAgo);

    const removed = await workspaces.reap(new Date(Date.now() - 86_400_000), new Set([active]));

    expect(removed.sort()).toEqual([old, staging].sort());
    expect(readdirSync(workspaces.root).sort()).toEqual([active, recent].sort());
  });

  it('refuses a run id that is not a uuid, so no path can be smuggled in', () => {
    expect(() => new Workspaces(dataDir).dir('../../etc')).toThrow('"../../etc" is not a run id');
  });
});
