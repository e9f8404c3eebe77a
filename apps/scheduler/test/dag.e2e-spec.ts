import {
  createGitRepo,
  finishedWithLogs,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
} from '@kiln/testing';
import { ms as time, stepOf as step } from './support/runs';
import { sandboxGone } from './support/sandboxes';

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('a run executes its definition as a DAG', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;
  let defaultPipelineId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'dag\n' });
    ({ id: projectId, defaultPipelineId } = await platform.createProject({ name: 'dag', repo }));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  async function runInline(name: string, yaml: string): Promise<RunJson> {
    const pipelineId = await platform.createPipeline(projectId, { name, yaml_config: yaml });
    const started = await platform.startRun(projectId, pipelineId);
    return platform.waitForRun(projectId, started.id, finishedWithLogs);
  }

  it('runs independent steps at the same time and their dependant after all of them', async () => {
    const run = await runInline(
      'parallel',
      `pipeline:
  steps:
    - { name: lint, image: node:20, commands: ["sleep 1.5", "echo lint done"] }
    - { name: unit, image: node:20, commands: ["sleep 1.5", "echo unit done"] }
    - { name: docs, image: node:20, commands: ["sleep 1.5", "echo docs done"] }
    - { name: package, image: node:20, depends_on: [lint, unit, docs], commands: ["echo packaging"] }
`,
    );
    expect(run.status).toBe('succeeded');
    const branches = ['lint', 'unit', 'docs'].map((name) => step(run, name));
    for (const a of branches) {
      for (const b of branches.filter((s) => s !== a)) {
        // Overlapping intervals: each started before the other finished.
        expect(time(a.started_at)).toBeLessThan(time(b.finished_at));
      }
    }
    const lastBranchEnd = Math.max(...branches.map((s) => time(s.finished_at)));
    expect(time(step(run, 'package').started_at)).toBeGreaterThanOrEqual(lastBranchEnd);
    expect(await platform.stepLog(projectId, run, 'unit')).toContain('unit done');
  });

  it('skips what depends on a failed step while an unrelated branch finishes, and fails the run', async () => {
    const run = await runInline(
      'failure',
      `pipeline:
  steps:
    - { name: compile, image: node:20, commands: ["echo compiling", "exit 2"] }
    - { name: test, image: node:20, depends_on: [compile], commands: ["echo testing"] }
    - { name: publish, image: node:20, depends_on: [test], commands: ["echo publishing"] }
    - { name: lint, image: node:20, commands: ["sleep 1", "echo lint ok"] }
    - { name: report, image: node:20, depends_on: [lint], commands: ["echo report written"] }
`,
    );
    expect(run.status).toBe('failed');
    expect(step(run, 'compile')).toMatchObject({ status: 'failed', exit_code: 2 });
    expect(step(run, 'test')).toMatchObject({
      status: 'skipped',
      exit_code: null,
      started_at: null,
      error: 'skipped: dependency "compile" failed',
    });
    expect(step(run, 'publish')).toMatchObject({
      status: 'skipped',
      started_at: null,
      error: 'skipped: dependency "test" skipped',
    });
    expect(step(run, 'lint')).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(step(run, 'report')).toMatchObject({ status: 'succeeded', exit_code: 0 });
    // The independent branch went on after the failure instead of being dropped with it.
    expect(time(step(run, 'report').finished_at)).toBeGreaterThan(time(step(run, 'compile').finished_at));
    expect(await platform.stepLog(projectId, run, 'report')).toContain('report written');
    expect(await platform.stepLog(projectId, run, 'compile')).toContain('compiling');
  });

  it('with fail_fast cancels the running and pending steps once one fails', async () => {
    const run = await runInline(
      'fail-fast',
      `pipeline:
  fail_fast: true
  steps:
    - { name: quick-fail, image: node:20, commands: ["sleep 1", "exit 1"] }
    - { name: slow, image: node:20, commands: ["echo slow started", "sleep 600"] }
    - { name: after-slow, image: node:20, depends_on: [slow], commands: ["echo never"] }
`,
    );
    expect(run.status).toBe('failed');
    expect(step(run, 'quick-fail')).toMatchObject({ status: 'failed', exit_code: 1 });
    const slow = step(run, 'slow');
    expect(slow.status).toBe('cancelled');
    expect(slow.error).toContain('fail_fast');
    expect(step(run, 'after-slow')).toMatchObject({ status: 'cancelled', started_at: null });
    expect(time(run.finished_at) - time(step(run, 'quick-fail').finished_at)).toBeLessThan(10_000);
    // The sandbox really was killed: its log closes with the cancel and no process is left.
    const log = await platform.stepLog(projectId, run, 'slow');
    expect(log).toContain('slow started');
    expect(log).toMatch(/step cancelled/);
    expect(await sandboxGone(run.id, 'slow')).toEqual([]);
  });

  it('fails the run with the parser message when the definition is not valid YAML', async () => {
    const yaml = 'pipeline:\n  steps:\n    - name: build\n      commands: [echo "unclosed\n';
    const sha = repo.commit({ '.platform.yaml': yaml });
    const run = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, defaultPipelineId, sha)).id,
    );
    const lint = await platform.api<{ valid: boolean; errors: { line: number; message: string }[] }>(
      'POST',
      '/api/pipelines/validate',
      { yaml_config: yaml },
    );
    expect(lint.body.valid).toBe(false);
    expect(run).toMatchObject({ status: 'failed', commit_sha: sha, steps: [] });
    expect(run.error).toContain('invalid pipeline definition');
    expect(run.error).toContain(`.platform.yaml:${lint.body.errors[0].line}:`);
    expect(run.error).toContain(lint.body.errors[0].message);
  });

  it('fails the run naming the unknown step when depends_on points nowhere', async () => {
    const yaml = `pipeline:
  steps:
    - { name: build, image: node:20, commands: [make] }
    - { name: test, image: node:20, depends_on: [build, integration-setup], commands: [make test] }
`;
    const sha = repo.commit({ '.platform.yaml': yaml });
    const run = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, defaultPipelineId, sha)).id,
    );
    expect(run).toMatchObject({ status: 'failed', commit_sha: sha, steps: [] });
    expect(run.error).toMatch(/^invalid pipeline definition:\n\.platform\.yaml:4:\d+: /);
    expect(run.error).toContain('integration-setup');
    expect(run.finished_at).not.toBeNull();
  });

  it('fails the run when the commit has no definition file', async () => {
    const sha = repo.commit({ '.platform.yaml': null, 'README.md': 'no pipeline here\n' });
    const run = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, defaultPipelineId, sha)).id,
    );
    expect(run).toMatchObject({
      status: 'failed',
      commit_sha: sha,
      error: `.platform.yaml not found in commit ${sha}`,
    });
  });

  it('fails the run when its git ref does not exist in the repository', async () => {
    const run = await platform.waitForRun(
      projectId,
      (await platform.startRun(projectId, defaultPipelineId, 'no-such-branch')).id,
    );
    expect(run).toMatchObject({ status: 'failed', commit_sha: null, steps: [] });
    expect(run.error).toMatch(/^cannot resolve no-such-branch: ref "no-such-branch" not found/);
  });
});
