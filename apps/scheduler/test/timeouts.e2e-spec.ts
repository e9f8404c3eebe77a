import { createGitRepo, finishedWithLogs, Platform, startPlatform, TestGitRepo } from '@kiln/testing';
import { ms, stepOf } from './support/runs';
import { sandboxGone } from './support/sandboxes';

const RUN_TIMEOUT = '8s';

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('timeouts end steps and runs', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    platform = await startPlatform({ KILN_RUN_TIMEOUT: RUN_TIMEOUT, KILN_WATCHDOG_INTERVAL: '1s' });
    repo = createGitRepo();
    repo.commit({ 'README.md': 'timeouts\n' });
    ({ id: projectId } = await platform.createProject({ name: 'timeouts', repo }));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  it('fails a step that outlives its timeout and skips what depends on it', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'step-timeout',
      yaml_config: `pipeline:
  steps:
    - { name: hang, image: node:20, timeout: 2s, commands: ["echo hanging", "sleep 600"] }
    - { name: after, image: node:20, depends_on: [hang], commands: ["echo after"] }
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    const run = await platform.waitForRun(projectId, started.id, finishedWithLogs, 30_000);
    expect(run.status).toBe('failed');
    const hang = stepOf(run, 'hang');
    expect(hang).toMatchObject({ status: 'failed', error: 'timed out after 2s' });
    expect(hang.exit_code).not.toBe(0);
    expect(hang.duration_ms).toBeGreaterThanOrEqual(2000);
    expect(hang.duration_ms).toBeLessThan(10_000);
    expect(stepOf(run, 'after')).toMatchObject({ status: 'skipped', started_at: null });
    const log = await platform.stepLog(projectId, run, 'hang');
    expect(log).toContain('hanging');
    expect(log).toContain('step failed: timed out after 2s');
    expect(await sandboxGone(run.id, 'hang')).toEqual([]);
  });

  it('fails a step that printed nothing for its no_output_timeout, and keeps one that prints', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'no-output-timeout',
      yaml_config: `pipeline:
  steps:
    - { name: silent, image: node:20, no_output_timeout: 2s, commands: ["echo starting", "sleep 600"] }
    - name: chatty
      image: node:20
      no_output_timeout: 2s
      commands: ["for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done"]
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    const run = await platform.waitForRun(projectId, started.id, finishedWithLogs, 30_000);
    expect(run.status).toBe('failed');
    const silent = stepOf(run, 'silent');
    expect(silent).toMatchObject({ status: 'failed', error: 'no output for 2s' });
    expect(silent.duration_ms).toBeLessThan(10_000);
    expect(stepOf(run, 'chatty')).toMatchObject({ status: 'succeeded' });
    expect(await platform.stepLog(projectId, run, 'silent')).toContain('step failed: no output for 2s');
    expect(await sandboxGone(run.id, 'silent')).toEqual([]);
  });

  it('ends a run that outlives the run timeout, cancelling its steps and killing the sandbox', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'run-timeout',
      yaml_config: `pipeline:
  steps:
    - { name: forever, image: node:20, commands: ["echo still going", "sleep 600"] }
    - { name: never, image: node:20, depends_on: [forever], commands: ["echo never"] }
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    const run = await platform.waitForRun(projectId, started.id, undefined, 30_000);
    expect(run).toMatchObject({ status: 'failed', error: `run timed out after ${RUN_TIMEOUT}` });
    expect(ms(run.finished_at) - ms(run.started_at)).toBeGreaterThanOrEqual(8000);
    expect(stepOf(run, 'forever')).toMatchObject({
      status: 'cancelled',
      error: `run timed out after ${RUN_TIMEOUT}`,
    });
    expect(stepOf(run, 'never')).toMatchObject({ status: 'cancelled', started_at: null });
    expect(await sandboxGone(run.id, 'forever')).toEqual([]);
    const archived = await platform.waitForRun(projectId, run.id, finishedWithLogs, 15_000);
    const log = await platform.stepLog(projectId, archived, 'forever');
    expect(log).toContain('still going');
    expect(log).toContain(`step cancelled: run timed out after ${RUN_TIMEOUT}`);
  });
});
