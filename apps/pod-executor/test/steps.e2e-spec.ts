import { tmpdir } from 'node:os';
import { Subjects } from '@kiln/contracts';
import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutorHarness, logText, startExecutor } from './executor-harness';

describe('pod-executor running dispatched steps (local backend, real NATS and bubblewrap)', () => {
  let executor: ExecutorHarness;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'kiln readme\n' });
    executor = await startExecutor({ KILN_EXECUTOR_ID: 'e2e-executor', KILN_LOG_MAX_BYTES: '65536' });
  });

  afterAll(async () => {
    await executor?.stop();
    repo?.remove();
  });

  const checkout = () => ({ repoUrl: repo.url, commitSha: sha });

  it('publishes started, numbered log chunks and finished for a successful step', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      stepName: 'build',
      env: { PLATFORM_PROJECT_NAME: 'acme', CI: 'true', COMMIT_SHA: sha },
      commands: ['echo "project $PLATFORM_PROJECT_NAME ci=$CI"', 'cat README.md', 'git rev-parse HEAD'],
    });
    const finished = await executor.finishedOf(step);
    expect(finished).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      executorId: 'e2e-executor',
      attempt: 1,
    });
    const started = executor.started.find((s) => s.stepId === step.stepId);
    expect(started).toMatchObject({
      sandboxName: `kiln-${step.runId.slice(0, 8)}-build-1`,
      executorId: 'e2e-executor',
    });
    expect(Date.parse(finished.startedAt!)).toBeLessThanOrEqual(Date.parse(finished.finishedAt));

    const chunks = await executor.chunksOf(step);
    expect(chunks.map((c) => c.seq)).toEqual([...chunks.keys()]);
    expect(finished.logChunks).toBe(chunks.length);
    expect(chunks.at(-1)).toMatchObject({ final: true, exitCode: 0 });
    expect(logText(chunks)).toEqual([
      `system: the local backend runs steps in a bubblewrap sandbox on this host's /usr; image "node:20" is not used`,
      'stdout: + echo "project $PLATFORM_PROJECT_NAME ci=$CI"',
      'stdout: project acme ci=true',
      'stdout: + cat README.md',
      'stdout: kiln readme',
      'stdout: + git rev-parse HEAD',
      `stdout: ${sha}`,
    ]);
  });

  it('gives a step nothing of the platform: no NATS, no executor API, no root, no host /etc', async () => {
    const ports = [new URL(process.env.NATS_URL!).port, new URL(executor.url).port];
    const step = await executor.dispatch({
      ...checkout(),
      commands: [
        ...ports.map(
          (port) =>
            `node -e 'require("net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(9)).on("error", (e) => console.log("${port}:", e.code))'`,
        ),
        'echo "uid=$(id -u)"',
        'test ! -e /etc/shadow && echo no-shadow',
      ],
    });
    expect(await executor.finishedOf(step)).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const lines = logText(await executor.chunksOf(step));
    expect(lines).toEqual(
      expect.arrayContaining([
        ...ports.map((port) => `stdout: ${port}: ECONNREFUSED`),
        'stdout: uid=1000',
        'stdout: no-shadow',
      ]),
    );
  });

  it('reports the exit code of a failing command', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      commands: ['echo broken >&2', 'exit 3', 'echo unreachable'],
    });
    const finished = await executor.finishedOf(step);
    expect(finished).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(finished.error).toBeUndefined();
    const lines = logText(await executor.chunksOf(step));
    expect(lines).toContain('stderr: broken');
    expect(lines.at(-1)).toBe('system: step failed: exit code 3');
    expect(lines.join('\n')).not.toContain('unreachable');
  });

  it('runs a step with node_selector and tolerations on this host, saying in its log that they are ignored', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      commands: ['echo placed'],
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
    });
    expect(await executor.finishedOf(step)).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const lines = logText(await executor.chunksOf(step));
    expect(lines).toContain(
      "system: node_selector and tolerations ignored: the local backend runs every step on this executor's host",
    );
    expect(lines).toContain('stdout: placed');
  });

  it('masks secret values in every log line before they leave the executor', async () => {
    const secret = 'hunter2-very-secret';
    const step = await executor.dispatch({
      ...checkout(),
      env: { NPM_TOKEN: secret },
      maskValues: [secret],
      commands: ['echo "token=$NPM_TOKEN"', 'echo "$NPM_TOKEN" | rev | rev >&2'],
    });
    await executor.finishedOf(step);
    const chunks = await executor.chunksOf(step);
    expect(logText(chunks)).toEqual(
      expect.arrayContaining(['stdout: token=***', 'stderr: ***', 'stdout: + echo "token=$NPM_TOKEN"']),
    );
    expect(JSON.stringify(chunks)).not.toContain(secret);
  });

  it('kills a step at its timeout and reports it failed with the reason', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      timeoutMs: 1500,
      commands: ['echo waiting', 'sleep 60'],
    });
    const finished = await executor.finishedOf(step, 10_000);
    expect(finished).toMatchObject({
      status: 'failed',
      error: 'timed out after 1s',
      exitCode: 137,
      signal: 'SIGKILL',
    });
    expect(Date.parse(finished.finishedAt) - Date.parse(finished.startedAt!)).toBeLessThan(5000);
    expect(logText(await executor.chunksOf(step)).at(-1)).toBe('system: step failed: timed out after 1s');
  });

  it('kills a step that printed nothing for its no-output timeout and reports it failed with the reason', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      noOutputTimeoutMs: 2000,
      commands: ['echo waiting', 'sleep 60'],
    });
    const finished = await executor.finishedOf(step, 15_000);
    expect(finished).toMatchObject({ status: 'failed', error: 'no output for 2s', signal: 'SIGKILL' });
    expect(Date.parse(finished.finishedAt) - Date.parse(finished.startedAt!)).toBeLessThan(8000);
    const log = logText(await executor.chunksOf(step));
    expect(log).toContain('stdout: waiting');
    expect(log.at(-1)).toBe('system: step failed: no output for 2s');
  });

  it('lets a step that prints more often than its no-output timeout run to the end', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      noOutputTimeoutMs: 2000,
      commands: ['for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 0.5; done'],
    });
    const finished = await executor.finishedOf(step, 20_000);
    expect(finished).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(logText(await executor.chunksOf(step))).toContain('stdout: tick 8');
  });

  it('kills the running steps of a cancelled run and reports them cancelled', async () => {
    const first = await executor.dispatch({ ...checkout(), stepName: 'one', commands: ['sleep 60'] });
    const second = await executor.dispatch({
      ...checkout(),
      runId: first.runId,
      stepName: 'two',
      commands: ['sleep 60'],
    });
    await executor.waitFor('both steps started', () =>
      executor.started.filter((s) => s.runId === first.runId).length === 2 ? true : undefined,
    );
    await executor.messaging.publish(
      Subjects.RunCancel,
      { version: 1, runId: first.runId, requestedBy: 'alice', reason: 'cancelled by alice' },
      { msgId: `cancel:${first.runId}` },
    );
    for (const step of [first, second]) {
      expect(await executor.finishedOf(step, 5000)).toMatchObject({
        status: 'cancelled',
        error: 'cancelled by alice',
      });
    }
  });

  it('does not run a step dispatched after its run was cancelled', async () => {
    const runId = '3f1c2b4a-0000-4000-8000-000000000001';
    await executor.messaging.publish(
      Subjects.RunCancel,
      { version: 1, runId, requestedBy: 'bob', reason: 'cancelled by bob' },
      { msgId: `cancel:${runId}` },
    );
    await new Promise((r) => setTimeout(r, 200));
    const step = await executor.dispatch({ ...checkout(), runId, commands: ['touch ran.txt'] });
    expect(await executor.finishedOf(step)).toMatchObject({ status: 'cancelled', error: 'cancelled by bob' });
    expect(executor.started.find((s) => s.stepId === step.stepId)).toBeUndefined();
    expect(existsSync(join(executor.dataDir, 'workspaces', runId))).toBe(false);
  });

  it('drops log lines past the per-step cap after one marker, while the step runs on', async () => {
    const step = await executor.dispatch({
      ...checkout(),
      commands: ['seq 1 20000', 'echo finished > after-the-flood.txt'],
    });
    const finished = await executor.finishedOf(step);
    expect(finished.status).toBe('succeeded');
    const lines = logText(await executor.chunksOf(step));
    expect(lines.filter((l) => l.includes('[log truncated'))).toEqual([
      'system: [log truncated: limit of 65536 bytes reached]',
    ]);
    expect(lines.at(-1)).toBe('system: [log truncated: limit of 65536 bytes reached]');
    const bytes = lines.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.replace(/^\w+: /, '')) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(65536);
    expect(existsSync(join(executor.dataDir, 'workspaces', step.runId, 'after-the-flood.txt'))).toBe(true);
  });

  it('acks and ignores a second delivery of an attempt already running here', async () => {
    const step = await executor.dispatch({ ...checkout(), commands: ['sleep 1'] });
    await executor.waitFor('the step to start', () => executor.started.find((s) => s.stepId === step.stepId));
    await executor.dispatch(step, `redelivered:${step.stepId}`);
    await executor.finishedOf(step);
    await new Promise((r) => setTimeout(r, 1500));
    expect(executor.started.filter((s) => s.stepId === step.stepId)).toHaveLength(1);
    expect(executor.finished.filter((s) => s.stepId === step.stepId)).toHaveLength(1);
  });

  it('reports a step whose repository cannot be checked out as failed, with the reason in its log', async () => {
    const step = await executor.dispatch({
      repoUrl: `file://${tmpdir()}/nonexistent/repo.git`,
      commitSha: sha,
    });
    const finished = await executor.finishedOf(step);
    expect(finished).toMatchObject({ status: 'failed', logChunks: 1 });
    expect(finished.error).toMatch(
      /^cannot check out [0-9a-f]{40}: cannot fetch the repository: it does not exist/,
    );
    expect(finished.exitCode).toBeUndefined();
    expect(executor.started.find((s) => s.stepId === step.stepId)).toBeUndefined();
    expect(logText(await executor.chunksOf(step))).toEqual([`system: step failed: ${finished.error}`]);
  });

  it('heartbeats its capacity and the steps it is running', async () => {
    const step = await executor.dispatch({ ...checkout(), commands: ['sleep 8'] });
    const beat = await executor.waitFor(
      'a heartbeat listing the step',
      () => executor.heartbeats.find((h) => h.runningSteps.includes(`${step.stepId}:1`)),
      12_000,
    );
    expect(beat).toMatchObject({ executorId: 'e2e-executor', backend: 'local', capacity: 4 });
    await executor.finishedOf(step);
  });

  it('exposes step metrics', async () => {
    const metrics = await (await fetch(`${executor.url}/metrics`)).text();
    expect(metrics).toMatch(/^kiln_executor_steps_total\{[^}]*status="succeeded"[^}]*\} [1-9]/m);
    expect(metrics).toContain('kiln_executor_running_steps');
    expect(metrics).toContain('kiln_executor_step_duration_seconds_bucket');
  });
});
