import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { Platform, RunJson, startPlatform } from './platform';

const definition = (firstStepExit: number) => `pipeline:
  steps:
    - name: build
      image: node:20
      commands:
        - echo "building $PLATFORM_PROJECT_NAME at $COMMIT_SHA on $COMMIT_BRANCH"
        - test "$CI" = true
        - cat README.md
        - echo built > /workspace/build-output.txt
        - exit ${firstStepExit}
    - name: test
      image: node:20
      depends_on: [build]
      commands:
        - echo "testing step $STEP_NAME"
        - cat build-output.txt
`;

function pushPayload(repo: TestGitRepo, sha: string, before: string) {
  return {
    ref: 'refs/heads/main',
    before,
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    repository: { id: 1, name: 'spine', full_name: 'acme/spine', clone_url: repo.url, html_url: repo.url, default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 1 },
    head_commit: {
      id: sha,
      message: 'Make the build greener\n\nThe body of the message.',
      timestamp: new Date().toISOString(),
      author: { name: 'Mona Lisa', email: 'mona@example.com' },
    },
    commits: [{ id: sha, message: 'change' }],
  };
}

describe('one push becomes a finished run', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;
  const secret = 'spine-webhook-secret';

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    const res = await platform.api<{ id: string }>('POST', '/api/projects', {
      name: 'spine',
      repo_url: repo.url,
      repo_full_name: 'acme/spine',
      provider: 'github',
      webhook_secret: secret,
    });
    expect(res.status).toBe(201);
    projectId = res.body.id;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  async function pushAndWait(firstStepExit: number): Promise<{ run: RunJson; sha: string }> {
    const before = '0'.repeat(40);
    const sha = repo.commit({ 'README.md': `readme ${randomUUID()}\n`, '.platform.yaml': definition(firstStepExit) });
    const delivery = await platform.pushToGithub(pushPayload(repo, sha, before), secret, randomUUID());
    expect(delivery.status).toBe(202);
    expect([delivery.body.status, delivery.body.reason]).toEqual(['accepted', expect.any(String)]);
    const runId = await platform.runOfDelivery(delivery.body.delivery_record_id as string);
    const run = await platform.waitForRun(projectId, runId, (r) =>
      ['succeeded', 'failed'].includes(r.status) && r.steps.every((s) => s.status === 'skipped' || s.log_ref !== null),
    );
    return { run, sha };
  }

  it('runs both steps in order in the sandbox and archives their logs', async () => {
    const { run, sha } = await pushAndWait(0);
    expect(run.status).toBe('succeeded');
    expect(run.commit_sha).toBe(sha);
    expect(run).toMatchObject({
      commit_message: 'Make the build greener\n\nThe body of the message.',
      commit_author: 'Mona Lisa',
      pull_request_url: null,
    });
    const [build, test] = ['build', 'test'].map((name) => run.steps.find((s) => s.name === name)!);
    expect(build).toMatchObject({ status: 'succeeded', exit_code: 0, log_ref: `logs/pipelines/${run.id}/build.log` });
    expect(test).toMatchObject({ status: 'succeeded', exit_code: 0, depends_on: ['build'] });
    expect(build.duration_ms).toBeGreaterThanOrEqual(0);
    expect(new Date(test.started_at!).getTime()).toBeGreaterThanOrEqual(new Date(build.finished_at!).getTime());

    const buildLog = await platform.text(`/api/projects/${projectId}/runs/${run.id}/steps/${build.id}/logs`);
    expect(buildLog.status).toBe(200);
    expect(buildLog.text).toContain(`building spine at ${sha} on main`);
    expect(buildLog.text).toContain('readme ');
    const testLog = await platform.text(`/api/projects/${projectId}/runs/${run.id}/steps/${test.id}/logs`);
    expect(testLog.text).toContain('testing step test');
    expect(testLog.text).toContain('built');
  });

  it('fails the run when a step exits non-zero and skips what depends on it', async () => {
    const { run } = await pushAndWait(3);
    expect(run.status).toBe('failed');
    const build = run.steps.find((s) => s.name === 'build')!;
    const test = run.steps.find((s) => s.name === 'test')!;
    expect(build).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(test.status).toBe('skipped');
    expect(test.exit_code).toBeNull();
  });
});
