import {
  createGitRepo,
  finishedWithLogs,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
} from '@kiln/testing';
import { ms, stepOf } from './support/runs';
import { sandboxGone } from './support/sandboxes';

const CHECKED = `pipeline:
  steps:
    - { name: build, image: node:20, commands: ["echo building run $RUN_NUMBER"] }
    - name: check
      image: node:20
      depends_on: [build]
      environment: { CHECK_EXIT: "\${{ secrets.CHECK_EXIT }}" }
      commands: ["echo checking run $RUN_NUMBER", "exit $CHECK_EXIT"]
`;

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('cancel and retry', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let sha: string;
  let projectId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'cancel and retry\n' });
    ({ id: projectId } = await platform.createProject({ name: 'cancel-retry', repo }));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  const putSecret = async (name: string, value: string) => {
    const res = await platform.api('PUT', `/api/projects/${projectId}/secrets/${name}`, { value });
    expect(res.status).toBe(200);
  };

  async function retry(run: RunJson, failedOnly?: boolean): Promise<RunJson> {
    const res = await platform.api<RunJson>(
      'POST',
      `/api/projects/${projectId}/runs/${run.id}/retry`,
      failedOnly === undefined ? {} : { failed_only: failedOnly },
    );
    expect([201, 202]).toContain(res.status);
    return platform.waitForRun(projectId, res.body.id, finishedWithLogs);
  }

  it('kills the running sandbox and cancels pending steps when a run is cancelled', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'long',
      yaml_config: `pipeline:
  steps:
    - { name: long, image: node:20, commands: ["echo long started", "sleep 600"] }
    - { name: next, image: node:20, depends_on: [long], commands: ["echo next"] }
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    await platform.waitForRun(projectId, started.id, (r) => stepOf(r, 'long').status === 'running');

    const requestedAt = Date.now();
    const cancel = await platform.api('POST', `/api/projects/${projectId}/runs/${started.id}/cancel`, {
      reason: 'wrong branch',
    });
    expect(cancel).toEqual({
      status: 202,
      body: { id: started.id, status: 'running', cancel_requested: true },
    });
    const run = await platform.waitForRun(projectId, started.id, undefined, 10_000);
    expect(Date.now() - requestedAt).toBeLessThan(5_000);
    expect(run).toMatchObject({ status: 'cancelled', error: 'wrong branch' });
    expect(stepOf(run, 'long')).toMatchObject({ status: 'cancelled', error: 'wrong branch' });
    expect(stepOf(run, 'next')).toMatchObject({
      status: 'cancelled',
      started_at: null,
      error: 'wrong branch',
    });
    expect(await sandboxGone(run.id, 'long')).toEqual([]);

    const archived = await platform.waitForRun(projectId, run.id, finishedWithLogs, 15_000);
    const log = await platform.stepLog(projectId, archived, 'long');
    expect(log).toContain('long started');
    expect(log).toContain('step cancelled: wrong branch');
    const again = await platform.api('POST', `/api/projects/${projectId}/runs/${run.id}/cancel`, {});
    expect(again.status).toBe(409);
  });

  it('retries a run as a new run on the same commit and definition snapshot', async () => {
    await putSecret('CHECK_EXIT', '3');
    const pipelineId = await platform.createPipeline(projectId, { name: 'checked', yaml_config: CHECKED });
    const first = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, pipelineId)).id,
      finishedWithLogs,
    );
    expect(first.status).toBe('failed');
    expect(stepOf(first, 'check')).toMatchObject({ status: 'failed', exit_code: 3 });

    // The pipeline changes after the run: the retry still runs what the first run ran.
    const changed = await platform.api('PUT', `/api/projects/${projectId}/pipelines/${pipelineId}`, {
      yaml_config: 'pipeline:\n  steps:\n    - { name: other, image: node:20, commands: ["true"] }\n',
    });
    expect(changed.status).toBe(200);
    await putSecret('CHECK_EXIT', '0');

    const second = await retry(first);
    expect(second).toMatchObject({
      status: 'succeeded',
      trigger: 'retry',
      retry_of: first.id,
      commit_sha: sha,
      git_ref: first.git_ref,
      pipeline_id: pipelineId,
    });
    expect(second.id).not.toBe(first.id);
    expect(second.number).toBeGreaterThan(first.number);
    expect(second.steps.map((s) => s.name)).toEqual(['build', 'check']);
    const build = stepOf(second, 'build');
    expect(build).toMatchObject({
      status: 'succeeded',
      reused_from: null,
      log_ref: `logs/pipelines/${second.id}/build.log`,
    });
    expect(ms(build.started_at)).toBeGreaterThan(ms(stepOf(first, 'build').finished_at));
    expect(await platform.stepLog(projectId, second, 'build')).toContain(`building run ${second.number}`);
  });

  it('with failed_only keeps the results of the steps that succeeded and runs the rest', async () => {
    await putSecret('CHECK_EXIT', '4');
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'checked-again',
      yaml_config: CHECKED,
    });
    const first = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, pipelineId)).id,
      finishedWithLogs,
    );
    expect(first.status).toBe('failed');
    await putSecret('CHECK_EXIT', '0');

    const second = await retry(first, true);
    expect(second).toMatchObject({
      status: 'succeeded',
      trigger: 'retry',
      retry_of: first.id,
      commit_sha: sha,
    });
    const originalBuild = stepOf(first, 'build');
    expect(stepOf(second, 'build')).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
      reused_from: originalBuild.id,
      started_at: originalBuild.started_at,
      finished_at: originalBuild.finished_at,
      log_ref: originalBuild.log_ref,
    });
    expect(await platform.stepLog(projectId, second, 'build')).toContain(`building run ${first.number}`);
    const check = stepOf(second, 'check');
    expect(check).toMatchObject({ status: 'succeeded', exit_code: 0, reused_from: null });
    expect(await platform.stepLog(projectId, second, 'check')).toContain(`checking run ${second.number}`);
  });

  it('reruns one step with its dependants in a new run that reuses every other step', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'rerun-one',
      yaml_config: `pipeline:
  steps:
    - { name: build, image: node:20, commands: ["echo building run $RUN_NUMBER"] }
    - { name: lint, image: node:20, depends_on: [build], commands: ["echo linting run $RUN_NUMBER"] }
    - { name: test, image: node:20, depends_on: [build], commands: ["echo testing run $RUN_NUMBER"] }
    - { name: report, image: node:20, depends_on: [test], commands: ["echo reporting run $RUN_NUMBER"] }
`,
    });
    const first = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, pipelineId)).id,
      finishedWithLogs,
    );
    expect(first.status).toBe('succeeded');

    const res = await platform.api<RunJson>(
      'POST',
      `/api/projects/${projectId}/runs/${first.id}/steps/${stepOf(first, 'test').id}/rerun`,
      {},
    );
    expect([201, 202]).toContain(res.status);
    const second = await platform.waitForRun(projectId, res.body.id, finishedWithLogs);
    expect(second).toMatchObject({ status: 'succeeded', trigger: 'retry', retry_of: first.id, commit_sha: sha });
    for (const name of ['build', 'lint']) {
      expect(stepOf(second, name)).toMatchObject({ status: 'succeeded', reused_from: stepOf(first, name).id });
    }
    for (const name of ['test', 'report']) {
      expect(stepOf(second, name)).toMatchObject({ status: 'succeeded', reused_from: null });
      expect(await platform.stepLog(projectId, second, name)).toContain(`ing run ${second.number}`);
    }
    expect(await platform.stepLog(projectId, second, 'lint')).toContain(`linting run ${first.number}`);
  });

  it('refuses to retry a run that has not finished', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'slow',
      yaml_config: 'pipeline:\n  steps:\n    - { name: wait, image: node:20, commands: ["sleep 600"] }\n',
    });
    const run = await platform.startRun(projectId, pipelineId);
    const res = await platform.api<{ message: string }>(
      'POST',
      `/api/projects/${projectId}/runs/${run.id}/retry`,
      {},
    );
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('retry it once it has finished');
    await platform.api('POST', `/api/projects/${projectId}/runs/${run.id}/cancel`, {});
    expect((await platform.waitForRun(projectId, run.id)).status).toBe('cancelled');
  });
});
