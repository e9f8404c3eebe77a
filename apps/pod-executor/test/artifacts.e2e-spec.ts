import { RunFinishedEvent, Subjects } from '@kiln/contracts';
import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExecutorHarness, startExecutor } from './executor-harness';

interface ReceivedUpload {
  path: string;
  query: Record<string, string>;
  contentType?: string;
  projectId?: string;
  body: string;
}

/**
 * Stands in for the artifact-service's internal upload endpoint (its own engineer builds the
 * real one): records what arrives and answers like the contract says.
 */
async function startArtifactService(): Promise<{ url: string; uploads: ReceivedUpload[]; server: Server }> {
  const uploads: ReceivedUpload[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (piece) => (body += piece));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const upload = {
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        projectId: req.headers['x-project-id'] as string | undefined,
        body,
      };
      uploads.push(upload);
      const exists = upload.query.path === 'already-stored.txt';
      res.writeHead(exists ? 409 : 201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          exists ? { statusCode: 409 } : { id: randomUUID(), size_bytes: body.length, sha256: 'x' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, uploads, server };
}

describe('pod-executor collecting artifacts after a run', () => {
  let executor: ExecutorHarness;
  let artifactService: Awaited<ReturnType<typeof startArtifactService>>;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'readme\n' });
    artifactService = await startArtifactService();
    executor = await startExecutor({ KILN_ARTIFACT_SERVICE_URL: artifactService.url });
  });

  afterAll(async () => {
    await executor?.stop();
    artifactService?.server.close();
    repo?.remove();
  });

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
    const step = await executor.dispatch({
      repoUrl: repo.url,
      commitSha: sha,
      commands: [
        'mkdir -p reports/unit',
        'echo "<testsuite/>" > reports/junit.xml',
        'echo "all green" > reports/unit/summary.txt',
        'echo old > reports/already-stored.txt',
        'ln -s /etc/passwd reports/passwd',
        'ln -s /etc/passwd passwd-link',
        'echo binary > app.bin',
      ],
    });
    expect((await executor.finishedOf(step)).status).toBe('succeeded');
    const workspace = join(executor.dataDir, 'workspaces', step.runId);
    expect(existsSync(workspace)).toBe(true);

    await runFinished({
      runId: step.runId,
      projectId: step.projectId,
      artifacts: [
        { name: 'test-reports', path: 'reports/', expiresMs: 604_800_000 },
        { name: 'binary', path: 'app.bin' },
        { name: 'escape', path: '../../../etc/passwd' },
        { name: 'absolute', path: '/etc/passwd' },
        { name: 'linked', path: 'passwd-link' },
        { name: 'absent', path: 'dist/' },
      ],
    });
    await executor.waitFor('the workspace to be removed', () => (existsSync(workspace) ? undefined : true));

    const uploads = artifactService.uploads.filter((u) => u.path.includes(step.runId));
    expect(uploads.map((u) => [u.path, u.query.path]).sort()).toEqual([
      [`/internal/artifacts/${step.runId}/binary`, 'app.bin'],
      [`/internal/artifacts/${step.runId}/test-reports`, 'already-stored.txt'],
      [`/internal/artifacts/${step.runId}/test-reports`, 'junit.xml'],
      [`/internal/artifacts/${step.runId}/test-reports`, 'unit/summary.txt'],
    ]);
    const junit = uploads.find((u) => u.query.path === 'junit.xml')!;
    expect(junit).toMatchObject({
      contentType: 'application/xml',
      projectId: step.projectId,
      body: '<testsuite/>\n',
      query: { path: 'junit.xml', expires_ms: '604800000' },
    });
    expect(uploads.find((u) => u.query.path === 'app.bin')).toMatchObject({
      contentType: 'application/octet-stream',
      query: { path: 'app.bin' },
    });
    expect(uploads.map((u) => u.body).join('')).not.toContain('root:x:0:0');
  });

  it('keeps no artifacts of a cancelled run but still removes its workspace', async () => {
    const step = await executor.dispatch({
      repoUrl: repo.url,
      commitSha: sha,
      commands: ['echo partial > out.txt'],
    });
    await executor.finishedOf(step);
    const workspace = join(executor.dataDir, 'workspaces', step.runId);
    await runFinished({
      runId: step.runId,
      projectId: step.projectId,
      status: 'cancelled',
      artifacts: [{ name: 'out', path: 'out.txt' }],
    });
    await executor.waitFor('the workspace to be removed', () => (existsSync(workspace) ? undefined : true));
    expect(artifactService.uploads.filter((u) => u.path.includes(step.runId))).toEqual([]);
  });
});
