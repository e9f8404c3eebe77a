import { createGitRepo, finishedWithLogs, Platform, RunJson, startPlatform, TestGitRepo } from '@kiln/testing';
import { stepOf as step } from './support/runs';

jest.setTimeout(90_000);

describe('matrix, when, retry and approval on the local backend', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'options\n' });
    ({ id: projectId } = await platform.createProject({ name: 'options', repo }));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  async function start(name: string, yaml: string): Promise<RunJson> {
    const pipelineId = await platform.createPipeline(projectId, { name, yaml_config: yaml });
    return platform.startRun(projectId, pipelineId);
  }

  const finished = async (name: string, yaml: string) => platform.waitForRun(projectId, (await start(name, yaml)).id, finishedWithLogs);

  const decide = (run: RunJson, stepName: string, verb: 'approve' | 'reject', comment?: string) =>
    platform.api('POST', `/api/projects/${projectId}/runs/${run.id}/steps/${step(run, stepName).id}/${verb}`, comment ? { comment } : {});

  it('runs a 2x2 matrix as four steps with their values, and a dependant after all of them', async () => {
    const run = await finished(
      'matrix',
      `pipeline:
  steps:
    - name: test
      image: node:\${NODE}
      matrix: { NODE: ['18', '20'], DB: [pg, mysql] }
      commands: ['echo "node=$NODE db=$DB"']
    - { name: report, image: alpine, depends_on: [test], commands: [echo reported] }
`,
    );
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => s.name).sort()).toEqual(['report', 'test-18-mysql', 'test-18-pg', 'test-20-mysql', 'test-20-pg']);
    expect(step(run, 'test-20-mysql').image).toBe('node:20');
    expect(await platform.stepLog(projectId, run, 'test-18-mysql')).toContain('node=18 db=mysql');
    const lastTest = Math.max(...run.steps.filter((s) => s.name.startsWith('test-')).map((s) => Date.parse(s.finished_at as string)));
    expect(Date.parse(step(run, 'report').started_at as string)).toBeGreaterThanOrEqual(lastTest);
  });

  it('skips a step for another branch and runs a failure handler after a failure', async () => {
    const run = await finished(
      'when',
      `pipeline:
  steps:
    - { name: build, image: alpine, commands: ["exit 3"] }
    - { name: release, image: alpine, depends_on: [build], commands: [echo release], when: { branch: [release/*] } }
    - { name: notify, image: alpine, depends_on: [release], commands: [echo notified], when: { status: [failure] } }
    - { name: cleanup, image: alpine, depends_on: [build], commands: [echo cleaned], when: { status: [always] } }
    - { name: only-on-failure, image: alpine, commands: [echo never], when: { status: [failure], event: [push] }, depends_on: [build] }
`,
    );
    expect(run.status).toBe('failed');
    expect(step(run, 'release')).toMatchObject({ status: 'skipped', error: 'skipped: when.branch does not match branch "main"' });
    expect(step(run, 'notify').status).toBe('succeeded');
    expect(await platform.stepLog(projectId, run, 'notify')).toContain('notified');
    expect(step(run, 'cleanup').status).toBe('succeeded');
    expect(step(run, 'only-on-failure')).toMatchObject({ status: 'skipped', error: 'skipped: when.event does not include "manual" or "api"' });
    const handlers = await finished('when-ok', `pipeline:\n  steps:\n    - { name: a, image: alpine, commands: [echo ok] }\n    - { name: n, image: alpine, depends_on: [a], commands: [echo n], when: { status: [failure] } }\n`);
    expect(handlers.status).toBe('succeeded');
    expect(step(handlers, 'n')).toMatchObject({ status: 'skipped', error: 'skipped: when.status is failure, and no step before it failed' });
  });

  it('retries a flaky step, which succeeds on its second attempt', async () => {
    const run = await finished(
      'retry',
      `pipeline:
  steps:
    - name: flaky
      image: alpine
      retry: 2
      commands: ['if [ -f .tried ]; then echo "second try"; else touch .tried; echo "first try"; exit 1; fi']
    - { name: after, image: alpine, depends_on: [flaky], commands: [echo after] }
`,
    );
    expect(run.status).toBe('succeeded');
    expect(step(run, 'flaky')).toMatchObject({ status: 'succeeded', attempt: 2, exit_code: 0 });
    expect(await platform.stepLog(projectId, run, 'flaky')).toContain('second try');
    expect(step(run, 'after').status).toBe('succeeded');
  });

  it('fails a step whose retries are used up', async () => {
    const run = await finished('retry-out', `pipeline:\n  steps:\n    - { name: broken, image: alpine, retry: 1, commands: ["exit 4"] }\n`);
    expect(run.status).toBe('failed');
    expect(step(run, 'broken')).toMatchObject({ status: 'failed', attempt: 2, exit_code: 4 });
  });

  const approvalPipeline = `pipeline:
  steps:
    - { name: build, image: alpine, commands: [echo built] }
    - { name: gate, approval: true, depends_on: [build] }
    - { name: deploy, image: alpine, depends_on: [gate], commands: [echo deployed] }
`;

  it('waits for an approval, and continues once it is approved through the API', async () => {
    const started = await start('approve', approvalPipeline);
    const waiting = await platform.waitForRun(projectId, started.id, (r) => r.status === 'waiting');
    expect(step(waiting, 'gate').status).toBe('waiting');
    expect(step(waiting, 'deploy').status).toBe('pending');
    const answer = await decide(waiting, 'gate', 'approve', 'looks good');
    expect(answer.status).toBe(202);
    const run = await platform.waitForRun(projectId, started.id, (r) => r.status === 'succeeded' && step(r, 'deploy').log_ref !== null);
    expect(step(run, 'gate').status).toBe('succeeded');
    expect(await platform.stepLog(projectId, run, 'deploy')).toContain('deployed');
    const audit = await platform.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1', [step(run, 'gate').id]);
    expect(audit.map((a) => a.action)).toEqual(['step.approve']);
    expect((await decide(run, 'gate', 'approve')).status).toBe(409);
  });

  it('fails the run with the reason when an approval is rejected', async () => {
    const started = await start('reject', approvalPipeline);
    const waiting = await platform.waitForRun(projectId, started.id, (r) => r.status === 'waiting');
    expect((await decide(waiting, 'gate', 'reject', 'not today')).status).toBe(202);
    const run = await platform.waitForRun(projectId, started.id);
    expect(run.status).toBe('failed');
    expect(step(run, 'gate')).toMatchObject({ status: 'failed', error: 'rejected by admin: not today' });
    expect(step(run, 'deploy')).toMatchObject({ status: 'skipped', error: 'skipped: dependency "gate" failed' });
  });

  it("sums the run's JUnit report artifacts into its test summary once they are collected", async () => {
    const run = await finished(
      'junit',
      `pipeline:
  steps:
    - name: test
      image: node:20
      commands:
        - mkdir -p reports
        - echo "<testsuite name='unit'><testcase name='a'/><testcase name='b'><failure/></testcase></testsuite>" > reports/unit.xml
        - echo "<testsuite name='e2e'><testcase name='c'><skipped/></testcase></testsuite>" > reports/e2e.xml
  artifacts:
    - { name: junit, path: reports/, report: junit }
`,
    );
    expect(run.status).toBe('succeeded');
    // The executor collects artifacts after the run ended, one report file at a time: the
    // summary grows until both are in.
    const summaryOf = (r: RunJson) => (r as RunJson & { test_summary?: { tests: number } | null }).test_summary;
    const withSummary = await platform.waitForRun(projectId, run.id, (r) => summaryOf(r)?.tests === 3, 30_000);
    expect(summaryOf(withSummary)).toEqual({
      tests: 3,
      failures: 1,
      errors: 0,
      skipped: 1,
    });
  });
});
