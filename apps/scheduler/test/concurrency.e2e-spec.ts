import { createGitRepo, Platform, RunJson, startPlatform, TestGitRepo } from '@kiln/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GATED_STEP, openGate } from './support/gates';
import { ms, stepOf } from './support/runs';
import { sandboxGone } from './support/sandboxes';

const GATED = `pipeline:
  steps:
    - { name: work, image: node:20, commands: ["${GATED_STEP}"] }
`;

// Short, so one test can wait past it; long enough that a slow sandbox start under load is not
// taken for a stall (a run whose steps wait for an executor is still checked for stalling).
const STALL_TIMEOUT = '6s';
// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

const isRunning = (run: RunJson) => run.status === 'running' && stepOf(run, 'work').status === 'running';

describe('concurrency limits and cancel-previous', () => {
  let platform: Platform;
  let repo: TestGitRepo;

  beforeAll(async () => {
    platform = await startPlatform({
      KILN_MAX_ACTIVE_RUNS: '2',
      KILN_WATCHDOG_INTERVAL: '1s',
      KILN_RUN_STALL_TIMEOUT: STALL_TIMEOUT,
    });
    repo = createGitRepo();
    repo.commit({ 'README.md': 'concurrency\n' });
    repo.commit({ 'FEATURE.md': 'feature work\n' }, 'feature', 'feature');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  async function project(name: string, cancelPrevious = false) {
    const { id } = await platform.createProject({ name, repo });
    const pipelineId = await platform.createPipeline(id, {
      name: 'gated',
      yaml_config: GATED,
      cancel_previous: cancelPrevious,
    });
    const get = (runId: string) =>
      platform.api<RunJson>('GET', `/api/projects/${id}/runs/${runId}`).then((r) => r.body);
    return { id, pipelineId, get };
  }

  it('queues runs beyond the project limit with their queue position and starts them in turn', async () => {
    const p = await project('limited');
    const patched = await platform.api('PATCH', `/api/projects/${p.id}`, { concurrency_limit: 1 });
    expect(patched).toMatchObject({ status: 200, body: { concurrency_limit: 1 } });

    const a = await platform.startRun(p.id, p.pipelineId);
    await platform.waitForRun(p.id, a.id, isRunning);
    const b = await platform.startRun(p.id, p.pipelineId);
    const c = await platform.startRun(p.id, p.pipelineId);
    expect(await p.get(a.id)).toMatchObject({ status: 'running', queue_position: null });
    expect(await p.get(b.id)).toMatchObject({
      status: 'queued',
      queue_position: 1,
      started_at: null,
      steps: [{ status: 'pending' }],
    });
    expect(await p.get(c.id)).toMatchObject({ status: 'queued', queue_position: 2 });

    openGate(platform.dataDir, a.id);
    const aDone = await platform.waitForRun(p.id, a.id);
    expect(aDone.status).toBe('succeeded');
    const bRunning = await platform.waitForRun(p.id, b.id, isRunning);
    expect(ms(bRunning.started_at)).toBeGreaterThanOrEqual(ms(aDone.finished_at));
    expect(await p.get(c.id)).toMatchObject({ status: 'queued', queue_position: 1 });

    openGate(platform.dataDir, b.id);
    await platform.waitForRun(p.id, c.id, isRunning);
    openGate(platform.dataDir, c.id);
    for (const run of [b, c]) expect((await platform.waitForRun(p.id, run.id)).status).toBe('succeeded');
    // The executor removes a run's workspace once the run is over.
    await platform.waitForRun(
      p.id,
      c.id,
      () => !existsSync(join(platform.dataDir, 'workspaces', c.id)),
      10_000,
    );
  });

  it('ends a cancelled queued run without starting it and moves the runs behind it up', async () => {
    const p = await project('dequeued');
    await platform.api('PATCH', `/api/projects/${p.id}`, { concurrency_limit: 1 });
    const first = await platform.startRun(p.id, p.pipelineId);
    await platform.waitForRun(p.id, first.id, isRunning);
    const second = await platform.startRun(p.id, p.pipelineId);
    const third = await platform.startRun(p.id, p.pipelineId);
    expect(await p.get(third.id)).toMatchObject({ status: 'queued', queue_position: 2 });

    const cancel = await platform.api('POST', `/api/projects/${p.id}/runs/${second.id}/cancel`, {});
    expect(cancel.status).toBe(202);
    const cancelled = await platform.waitForRun(p.id, second.id, undefined, 10_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', started_at: null, queue_position: null });
    expect(stepOf(cancelled, 'work')).toMatchObject({ status: 'cancelled', started_at: null });
    expect(await p.get(third.id)).toMatchObject({ status: 'queued', queue_position: 1 });

    openGate(platform.dataDir, first.id);
    await platform.waitForRun(p.id, third.id, isRunning);
    openGate(platform.dataDir, third.id);
    expect((await platform.waitForRun(p.id, third.id)).status).toBe('succeeded');
  });

  it('starts queued runs as soon as the project limit is raised', async () => {
    const p = await project('raised');
    await platform.api('PATCH', `/api/projects/${p.id}`, { concurrency_limit: 1 });
    const first = await platform.startRun(p.id, p.pipelineId);
    await platform.waitForRun(p.id, first.id, isRunning);
    const waiting = await platform.startRun(p.id, p.pipelineId);
    expect(await p.get(waiting.id)).toMatchObject({ status: 'queued', queue_position: 1 });

    const raised = await platform.api('PATCH', `/api/projects/${p.id}`, { concurrency_limit: 2 });
    expect(raised).toMatchObject({ status: 200, body: { concurrency_limit: 2 } });
    // Nothing finished: the raised limit alone lets the waiting run start.
    await platform.waitForRun(p.id, waiting.id, isRunning, 10_000);
    expect(await p.get(first.id)).toMatchObject({ status: 'running' });
    for (const run of [first, waiting]) openGate(platform.dataDir, run.id);
    for (const run of [first, waiting])
      expect((await platform.waitForRun(p.id, run.id)).status).toBe('succeeded');
  });

  it('does not take a run waiting in the queue, or one running a long step, for stalled', async () => {
    const p = await project('patient');
    await platform.api('PATCH', `/api/projects/${p.id}`, { concurrency_limit: 1 });
    const running = await platform.startRun(p.id, p.pipelineId);
    await platform.waitForRun(p.id, running.id, isRunning);
    const waiting = await platform.startRun(p.id, p.pipelineId);
    // Well past the stall timeout with nothing happening to either run.
    await new Promise((r) => setTimeout(r, 8_000));
    expect(await p.get(running.id)).toMatchObject({ status: 'running', error: null });
    expect(await p.get(waiting.id)).toMatchObject({ status: 'queued', error: null, queue_position: 1 });

    openGate(platform.dataDir, running.id);
    await platform.waitForRun(p.id, waiting.id, isRunning);
    openGate(platform.dataDir, waiting.id);
    for (const run of [running, waiting])
      expect((await platform.waitForRun(p.id, run.id)).status).toBe('succeeded');
  });

  it('queues runs beyond the global limit (KILN_MAX_ACTIVE_RUNS) across projects', async () => {
    const p = await project('unlimited');
    const running = [
      await platform.startRun(p.id, p.pipelineId),
      await platform.startRun(p.id, p.pipelineId),
    ];
    for (const run of running) await platform.waitForRun(p.id, run.id, isRunning);
    const third = await platform.startRun(p.id, p.pipelineId);
    expect(await p.get(third.id)).toMatchObject({ status: 'queued', queue_position: 1 });

    openGate(platform.dataDir, running[0].id);
    await platform.waitForRun(p.id, third.id, isRunning);
    for (const run of [running[1], third]) openGate(platform.dataDir, run.id);
    for (const run of [...running, third])
      expect((await platform.waitForRun(p.id, run.id)).status).toBe('succeeded');
  });

  it('cancels the older unfinished run of the same branch when the pipeline cancels previous runs', async () => {
    const p = await project('superseding', true);
    const older = await platform.startRun(p.id, p.pipelineId, 'main');
    const feature = await platform.startRun(p.id, p.pipelineId, 'feature');
    for (const run of [older, feature]) await platform.waitForRun(p.id, run.id, isRunning);

    const newer = await platform.startRun(p.id, p.pipelineId, 'main');
    const superseded = await platform.waitForRun(p.id, older.id, undefined, 10_000);
    expect(superseded).toMatchObject({
      status: 'cancelled',
      branch: 'main',
      error: `superseded by run ${newer.id}`,
    });
    expect(stepOf(superseded, 'work')).toMatchObject({
      status: 'cancelled',
      error: `superseded by run ${newer.id}`,
    });
    expect(await sandboxGone(older.id, 'work')).toEqual([]);
    // The slot the cancelled run held goes to the new run; the other branch's run is left alone.
    await platform.waitForRun(p.id, newer.id, isRunning);
    expect(await p.get(feature.id)).toMatchObject({ status: 'running', branch: 'feature' });

    for (const run of [feature, newer]) openGate(platform.dataDir, run.id);
    for (const run of [feature, newer])
      expect((await platform.waitForRun(p.id, run.id)).status).toBe('succeeded');
  });
});
