import { hmacSha256Hex } from '@kiln/crypto';
import {
  createGitRepo,
  finishedWithLogs,
  Platform,
  RecordedRequest,
  RecordingServer,
  RunJson,
  startPlatform,
  startRecordingServer,
  TestGitRepo,
} from '@kiln/testing';

const PUBLIC_URL = 'http://kiln.example.test';
const oneStep = (exitCode: number) =>
  `pipeline:\n  steps:\n    - { name: build, image: node:20, commands: ["echo building", "exit ${exitCode}"] }\n`;
const json = (request: RecordedRequest) => JSON.parse(request.body) as Record<string, unknown>;

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('a finished run is reported to the outside world', () => {
  let platform: Platform;
  let server: RecordingServer;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    server = await startRecordingServer();
    platform = await startPlatform({
      KILN_GITHUB_API_URL: `${server.url}/github`,
      KILN_GITLAB_API_URL: `${server.url}/gitlab/api/v4`,
      KILN_PUBLIC_URL: PUBLIC_URL,
      // The webhook receiver is the recording server on 127.0.0.1, which the SSRF guard refuses
      // unless the operator allows it (commit statuses go to the operator's own API URLs).
      KILN_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    });
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'outcomes\n' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await server?.close();
    repo?.remove();
  });

  async function projectWithPipeline(name: string, provider: 'github' | 'gitlab', yaml: string) {
    const { id } = await platform.createProject({ name, repo, provider, fullName: `acme/${name}` });
    const pipelineId = await platform.createPipeline(id, { name: 'ci', yaml_config: yaml });
    return { id, pipelineId };
  }

  async function runToEnd(projectId: string, pipelineId: string, ref = 'main'): Promise<RunJson> {
    const started = await platform.startRun(projectId, pipelineId, ref);
    return platform.waitForRun(projectId, started.id, finishedWithLogs);
  }

  const link = (projectId: string, runId: string) => `${PUBLIC_URL}/#/projects/${projectId}/runs/${runId}`;

  it('sets a GitHub commit status to pending, then success or failure, with a link to the run', async () => {
    const { id, pipelineId } = await projectWithPipeline('status-gh', 'github', oneStep(0));
    await platform.api('PUT', `/api/projects/${id}/secrets/KILN_PROVIDER_TOKEN`, { value: 'ghp-test-token' });
    const run = await runToEnd(id, pipelineId);
    expect(run.status).toBe('succeeded');

    const path = `/github/repos/acme/status-gh/statuses/${sha}`;
    const calls = () => server.requests.filter((r) => r.path === path);
    await server.waitFor(() => calls().length >= 2);
    expect(calls().map((c) => [c.method, c.headers.authorization, json(c).state])).toEqual([
      ['POST', 'Bearer ghp-test-token', 'pending'],
      ['POST', 'Bearer ghp-test-token', 'success'],
    ]);
    for (const call of calls()) {
      expect(json(call)).toMatchObject({ target_url: link(id, run.id), context: 'kiln/ci' });
    }
    expect(json(calls()[1]).description).toBe(`Run #${run.number} succeeded`);

    await platform.api('PUT', `/api/projects/${id}/pipelines/${pipelineId}`, { yaml_config: oneStep(1) });
    const failed = await runToEnd(id, pipelineId);
    expect(failed.status).toBe('failed');
    await server.waitFor(() => calls().length >= 4);
    expect(
      calls()
        .slice(2)
        .map((c) => [json(c).state, json(c).target_url]),
    ).toEqual([
      ['pending', link(id, failed.id)],
      ['failure', link(id, failed.id)],
    ]);
  });

  it('closes the pending commit status when the run is cancelled', async () => {
    const sleeping = 'pipeline:\n  steps:\n    - { name: wait, image: node:20, commands: ["sleep 600"] }\n';
    const gh = await projectWithPipeline('cancel-gh', 'github', sleeping);
    const gl = await projectWithPipeline('cancel-gl', 'gitlab', sleeping);
    const runs: Record<string, RunJson> = {};
    for (const [name, project] of Object.entries({ gh, gl })) {
      await platform.api('PUT', `/api/projects/${project.id}/secrets/KILN_PROVIDER_TOKEN`, {
        value: 'token',
      });
      const started = await platform.startRun(project.id, project.pipelineId);
      await platform.waitForRun(project.id, started.id, (r) => r.steps[0].status === 'running');
      await platform.api('POST', `/api/projects/${project.id}/runs/${started.id}/cancel`, {});
      runs[name] = await platform.waitForRun(project.id, started.id);
      expect(runs[name].status).toBe('cancelled');
    }
    const ghCalls = () =>
      server.requests.filter((r) => r.path === `/github/repos/acme/cancel-gh/statuses/${sha}`);
    const glCalls = () =>
      server.requests.filter((r) => r.path === `/gitlab/api/v4/projects/acme%2Fcancel-gl/statuses/${sha}`);
    await server.waitFor(() => ghCalls().length >= 2 && glCalls().length >= 2);
    // GitHub has no "cancelled" state: "error" is the closed state that is not a failed build.
    expect(ghCalls().map((c) => [json(c).state, json(c).description])).toEqual([
      ['pending', `Run #${runs.gh.number} is running`],
      ['error', `Run #${runs.gh.number} cancelled`],
    ]);
    expect(glCalls().map((c) => json(c).state)).toEqual(['pending', 'canceled']);
  });

  it('sets a GitLab commit status with its own states and token header', async () => {
    const { id, pipelineId } = await projectWithPipeline('status-gl', 'gitlab', oneStep(2));
    await platform.api('PUT', `/api/projects/${id}/secrets/KILN_PROVIDER_TOKEN`, {
      value: 'glpat-test-token',
    });
    const run = await runToEnd(id, pipelineId);
    expect(run.status).toBe('failed');

    const path = `/gitlab/api/v4/projects/acme%2Fstatus-gl/statuses/${sha}`;
    const calls = () => server.requests.filter((r) => r.path === path);
    await server.waitFor(() => calls().length >= 2);
    expect(
      calls().map((c) => [c.headers['private-token'], json(c).state, json(c).name, json(c).target_url]),
    ).toEqual([
      ['glpat-test-token', 'pending', 'kiln/ci', link(id, run.id)],
      ['glpat-test-token', 'failed', 'kiln/ci', link(id, run.id)],
    ]);
  });

  it('reports nothing to the provider for a project without a provider token', async () => {
    const { id, pipelineId } = await projectWithPipeline('no-token', 'github', oneStep(0));
    const run = await runToEnd(id, pipelineId);
    expect(run.status).toBe('succeeded');
    // The run-finished notification has been handled once the other project's status arrives.
    const other = await projectWithPipeline('with-token', 'github', oneStep(0));
    await platform.api('PUT', `/api/projects/${other.id}/secrets/KILN_PROVIDER_TOKEN`, {
      value: 'ghp-other',
    });
    await runToEnd(other.id, other.pipelineId);
    await server.waitFor((all) =>
      all.some((r) => r.path.includes('/acme/with-token/') && json(r).state === 'success'),
    );
    expect(server.requests.filter((r) => r.path.includes('/acme/no-token/'))).toEqual([]);
  });

  it('sends build.success and build.failure webhooks signed with HMAC-SHA256', async () => {
    const { id, pipelineId } = await projectWithPipeline('hooks', 'github', oneStep(0));
    const secret = 'hook-signing-secret';
    const all = await platform.api('POST', `/api/projects/${id}/webhooks`, {
      url: `${server.url}/hooks/all`,
      events: ['build.success', 'build.failure'],
      secret,
    });
    expect(all.status).toBe(201);
    const failuresOnly = await platform.api('POST', `/api/projects/${id}/webhooks`, {
      url: `${server.url}/hooks/failures`,
      events: ['build.failure'],
      secret,
    });
    expect(failuresOnly.status).toBe(201);
    const received = (path: string) => server.requests.filter((r) => r.path === path);

    const ok = await runToEnd(id, pipelineId);
    await server.waitFor(() => received('/hooks/all').length >= 1);
    const [success] = received('/hooks/all');
    expect(success.headers['x-kiln-signature-256']).toBe(`sha256=${hmacSha256Hex(secret, success.body)}`);
    expect(success.headers['x-kiln-event']).toBe('build.success');
    expect(success.headers['x-kiln-delivery']).toContain(ok.id);
    expect(json(success)).toMatchObject({
      event: 'build.success',
      project: { id, name: 'hooks' },
      run: { id: ok.id, number: ok.number, status: 'succeeded', commit_sha: sha, url: link(id, ok.id) },
    });
    expect((json(success).run as { steps: unknown[] }).steps).toEqual([
      { name: 'build', status: 'succeeded', exit_code: 0 },
    ]);

    await platform.api('PUT', `/api/projects/${id}/pipelines/${pipelineId}`, { yaml_config: oneStep(5) });
    const bad = await runToEnd(id, pipelineId);
    await server.waitFor(() => received('/hooks/all').length >= 2 && received('/hooks/failures').length >= 1);
    for (const failure of [received('/hooks/all')[1], received('/hooks/failures')[0]]) {
      expect(failure.headers['x-kiln-signature-256']).toBe(`sha256=${hmacSha256Hex(secret, failure.body)}`);
      expect(json(failure)).toMatchObject({ event: 'build.failure', run: { id: bad.id, status: 'failed' } });
    }
    // The failure-only hook never heard of the success.
    expect(received('/hooks/failures')).toHaveLength(1);
    const hooks = await platform.api<{ items: { url: string; last_status_code: number | null }[] }>(
      'GET',
      `/api/projects/${id}/webhooks`,
    );
    expect(hooks.body.items.map((h) => h.last_status_code)).toEqual([201, 201]);
  });
});
