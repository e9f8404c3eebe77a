import { RunFinishedEvent, Subjects } from '@kiln/contracts';
import { createPrismaClient, PrismaClient } from '@kiln/db';
import {
  createGitRepo,
  createRunRows,
  createTestDatabase,
  RunningApps,
  startApps,
  TestDatabase,
  TestGitRepo,
} from '@kiln/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutorHarness, startExecutor } from './executor-harness';

const INTERNAL_TOKEN = 'executor-e2e-internal-token';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('pod-executor collecting artifacts after a run', () => {
  let executor: ExecutorHarness;
  let artifactService: RunningApps;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let storeDir: string;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'readme\n' });
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    storeDir = mkdtempSync(join(tmpdir(), 'kiln-executor-artifacts-'));
    artifactService = await startApps(['artifact-service'], {
      DATABASE_URL: db.url,
      KILN_STORAGE_DRIVER: 'fs',
      KILN_DATA_DIR: storeDir,
      KILN_INTERNAL_TOKEN: INTERNAL_TOKEN,
    });
    executor = await startExecutor({
      KILN_ARTIFACT_SERVICE_URL: artifactService.url('artifact-service'),
      KILN_INTERNAL_TOKEN: INTERNAL_TOKEN,
    });
  });

  afterAll(async () => {
    await executor?.stop();
    await artifactService?.stop();
    await prisma?.$disconnect();
    await db?.drop();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
    repo?.remove();
  });

  async function download(id: string, projectId: string): Promise<string> {
    const res = await fetch(`${artifactService.url('artifact-service')}/internal/artifacts/${id}/download`, {
      headers: { 'x-project-id': projectId, 'x-kiln-internal-token': INTERNAL_TOKEN },
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  async function runFinished(
    event: Partial<RunFinishedEvent> & Pick<RunFinishedEvent, 'runId' | 'projectId'>,
  ) {
    await executor.messaging.publish(
      Subjects.RunFinished,
      { version: 1, status: 'succeeded', artifacts: [], finishedAt: new Date().toISOString(), ...event },
      { msgId: `run-finished:${event.runId}` },
    );
  }

  it('uploads the files of each artifact, refuses hostile paths and removes the workspace', async () => {
    const ids = await createRunRows(prisma);
    const step = await executor.dispatch({
      ...ids,
      repoUrl: repo.url,
      commitSha: sha,
      commands: [
        'mkdir -p reports/unit',
        'echo "<testsuite/>" > reports/junit.xml',
        'echo "all green" > reports/unit/summary.txt',
        'ln -s /etc/passwd reports/passwd',
        'ln -s /etc/passwd passwd-link',
        'echo binary > app.bin',
      ],
    });
    expect((await executor.finishedOf(step)).status).toBe('succeeded');
    const workspace = join(executor.dataDir, 'workspaces', step.runId);
    expect(existsSync(workspace)).toBe(true);

    const finished = {
      ...ids,
      artifacts: [
        { name: 'test-reports', path: 'reports/', expiresMs: 604_800_000, report: 'junit' as const },
        { name: 'binary', path: 'app.bin' },
        { name: 'escape', path: '../../../etc/passwd' },
        { name: 'absolute', path: '/etc/passwd' },
        { name: 'linked', path: 'passwd-link' },
        { name: 'absent', path: 'dist/' },
      ],
    };
    await runFinished(finished);
    await executor.waitFor('the workspace to be removed', () => (existsSync(workspace) ? undefined : true));

    const rows = await prisma.artifact.findMany({ where: { runId: ids.runId }, orderBy: { path: 'asc' } });
    expect(rows.map((r) => [r.name, r.path])).toEqual([
      ['binary', 'app.bin'],
      ['test-reports', 'junit.xml'],
      ['test-reports', 'unit/summary.txt'],
    ]);
    const junit = rows.find((r) => r.path === 'junit.xml')!;
    expect(junit).toMatchObject({
      projectId: ids.projectId,
      contentType: 'application/xml',
      sizeBytes: BigInt('<testsuite/>\n'.length),
      sha256: sha256('<testsuite/>\n'),
      testSummary: { version: 1, tests: 0, failures: 0, errors: 0, skipped: 0 },
    });
    expect(rows.find((r) => r.path === 'unit/summary.txt')!.testSummary).toBeNull();
    expect(junit.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(rows.find((r) => r.path === 'app.bin')).toMatchObject({
      contentType: 'application/octet-stream',
      expiresAt: null,
    });
    expect(await download(junit.id, ids.projectId)).toBe('<testsuite/>\n');
    const stored = await Promise.all(rows.map((r) => download(r.id, ids.projectId)));
    expect(stored.join('')).not.toContain('root:x:0:0');
  });

  it('stores each file once when the run-finished event is delivered again', async () => {
    const ids = await createRunRows(prisma);
    const step = await executor.dispatch({
      ...ids,
      repoUrl: repo.url,
      commitSha: sha,
      commands: ['echo v1 > out.txt'],
    });
    await executor.finishedOf(step);
    const workspace = join(executor.dataDir, 'workspaces', step.runId);
    await runFinished({ ...ids, artifacts: [{ name: 'out', path: 'out.txt' }] });
    await executor.waitFor('the workspace to be removed', () => (existsSync(workspace) ? undefined : true));
    // A second delivery (another message id, as after a scheduler restart) finds no workspace left.
    await executor.messaging.publish(
      Subjects.RunFinished,
      {
        version: 1,
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
        ...ids,
        artifacts: [{ name: 'out', path: 'out.txt' }],
      },
      { msgId: `run-finished-again:${ids.runId}` },
    );
    await new Promise((r) => setTimeout(r, 500));
    const rows = await prisma.artifact.findMany({ where: { runId: ids.runId } });
    expect(rows.map((r) => [r.name, r.path, r.sha256])).toEqual([['out', 'out.txt', sha256('v1\n')]]);
  });

  it('keeps no artifacts of a cancelled run but still removes its workspace', async () => {
    const ids = await createRunRows(prisma);
    const step = await executor.dispatch({
      ...ids,
      repoUrl: repo.url,
      commitSha: sha,
      commands: ['echo partial > out.txt'],
    });
    await executor.finishedOf(step);
    const workspace = join(executor.dataDir, 'workspaces', step.runId);
    await runFinished({
      ...ids,
      status: 'cancelled',
      artifacts: [{ name: 'out', path: 'out.txt' }],
    });
    await executor.waitFor('the workspace to be removed', () => (existsSync(workspace) ? undefined : true));
    expect(await prisma.artifact.count({ where: { runId: ids.runId } })).toBe(0);
  });
});
