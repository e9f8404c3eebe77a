import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('manual runs, cancel and retry', () => {
  let gw: Gateway;
  let owner: TestUser;
  let repo: TestGitRepo;
  let projectId: string;
  let pipelineId: string;
  let sha: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'hi\n' });
    repo.tag('v1.0');
    const project = await gw.createProject(owner, { repo_url: repo.url, provider: 'git' });
    projectId = project.id;
    pipelineId = (await gw.prisma.pipeline.findFirstOrThrow({ where: { projectId } })).id;
  });
  afterAll(async () => {
    await gw?.stop();
    repo?.remove();
  });

  const start = (git_ref: string, token = owner.token, pid = pipelineId) =>
    gw.http().post(`/api/projects/${projectId}/pipelines/${pid}/runs`).set(bearer(token)).send({ git_ref });

  it('publishes a run request for the branch and answers 202 while the scheduler has not created the run', async () => {
    const heard = await gw.listen('kiln.run.requested');
    const res = await start('main');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      status: 'queued',
      pipeline_id: pipelineId,
      git_ref: 'main',
    });
    const request = await heard.waitFor((m) => m.runId === res.body.id);
    expect(request.msgId).toBe(`run-requested:${res.body.id}`);
    expect(request.data).toMatchObject({
      version: 1,
      projectId,
      pipelineId,
      trigger: 'manual',
      event: 'manual',
      gitRef: 'main',
      branch: 'main',
      applyTriggerFilters: false,
    });
    expect(request.data.commitSha).toBeUndefined();
    expect(await gw.prisma.auditLog.count({ where: { action: 'run.create', targetId: res.body.id } })).toBe(
      1,
    );
  });

  it('labels a tag as a tag and a sha as neither branch nor tag', async () => {
    const heard = await gw.listen('kiln.run.requested');
    const tag = await start('v1.0');
    const bySha = await start(sha);
    expect((await heard.waitFor((m) => m.runId === tag.body.id)).data).toMatchObject({
      gitRef: 'v1.0',
      tag: 'v1.0',
    });
    expect((await heard.waitFor((m) => m.runId === tag.body.id)).data.branch).toBeUndefined();
    const shaRequest = (await heard.waitFor((m) => m.runId === bySha.body.id)).data;
    expect(shaRequest).toMatchObject({ gitRef: sha });
    expect(shaRequest.branch).toBeUndefined();
    expect(shaRequest.tag).toBeUndefined();
  });

  it('answers 201 with the run once the scheduler created it', async () => {
    // Plays the scheduler: creates the run row as soon as the request arrives.
    await gw.listen('kiln.run.requested', async (m) => {
      if (m.gitRef !== 'feature/x') return;
      await gw.prisma.run.create({
        data: {
          id: m.runId as string,
          projectId,
          pipelineId,
          number: 100,
          trigger: 'manual',
          triggeredBy: String(m.triggeredBy),
          event: 'manual',
          gitRef: 'feature/x',
          branch: 'feature/x',
          steps: { create: [{ name: 'build', position: 0, image: 'node:20', commands: ['make'] }] },
        },
      });
    });
    const res = await start('feature/x');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      number: 100,
      status: 'queued',
      trigger: 'manual',
      git_ref: 'feature/x',
      branch: 'feature/x',
      steps: [expect.objectContaining({ name: 'build', status: 'pending' })],
    });
    expect(res.body.triggered_by).toMatch(/^user-/);
  });

  it('answers 404 for a pipeline of another project and 403 for a reader', async () => {
    const other = await gw.createProject(owner);
    const foreign = (await gw.prisma.pipeline.findFirstOrThrow({ where: { projectId: other.id } })).id;
    expect((await start('main', owner.token, foreign)).status).toBe(404);
    const reader = await gw.createUser();
    await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: reader.id, role: 'read' });
    expect((await start('main', reader.token)).status).toBe(403);
  });

  it("passes a manual run's variables on in the run request, and refuses bad ones beside the field", async () => {
    const heard = await gw.listen('kiln.run.requested');
    const post = (variables: unknown) =>
      gw
        .http()
        .post(`/api/projects/${projectId}/pipelines/${pipelineId}/runs`)
        .set(bearer(owner.token))
        .send({ git_ref: 'main', variables });
    const res = await post({ DEPLOY_TARGET: 'staging', EMPTY: '' });
    expect(res.status).toBe(202);
    const request = await heard.waitFor((m) => m.runId === res.body.id);
    expect(request.data.variables).toEqual({ DEPLOY_TARGET: 'staging', EMPTY: '' });
    const audit = await gw.prisma.auditLog.findFirstOrThrow({ where: { action: 'run.create', targetId: res.body.id } });
    expect(audit.details).toMatchObject({ variables: ['DEPLOY_TARGET', 'EMPTY'] });
    expect(JSON.stringify(audit.details)).not.toContain('staging');

    for (const [variables, message] of [
      [{ '1BAD': 'x' }, /"1BAD" is not a valid variable name/],
      [{ COMMIT_SHA: 'x' }, /COMMIT_SHA is set by Kiln/],
      [{ TOKEN: '${{ secrets.DEPLOY_KEY }}' }, /TOKEN holds a \$\{\{ \}\} expression/],
      [{ NUMBER: 3 }, /NUMBER must be a string/],
      [['A=1'], /object of NAME/],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`V${i}`, 'x'])), /at most 50/],
    ] as const) {
      const bad = await post(variables);
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('variables');
      expect(bad.body.details[0].message).toMatch(message);
    }
  });

  it('refuses a git_ref git would read as an option or a range', async () => {
    for (const git_ref of ['--upload-pack=evil', 'main..dev', 'a b', '']) {
      const res = await start(git_ref);
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('git_ref');
    }
  });

  it('publishes a cancel for an active run, and answers 409 for a finished one', async () => {
    const heard = await gw.listen('kiln.run.cancel');
    const { runId } = await gw.insertRun(projectId, { status: 'running' });
    const res = await gw
      .http()
      .post(`/api/projects/${projectId}/runs/${runId}/cancel`)
      .set(bearer(owner.token))
      .send({ reason: 'wrong branch' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: runId, status: 'running', cancel_requested: true });
    const cancel = await heard.waitFor((m) => m.runId === runId);
    expect(cancel.msgId).toBe(`cancel:${runId}`);
    expect(cancel.data).toMatchObject({
      version: 1,
      reason: 'wrong branch',
      requestedBy: expect.stringMatching(/^user-/),
    });

    const done = await gw.insertRun(projectId, { status: 'succeeded' });
    const again = await gw
      .http()
      .post(`/api/projects/${projectId}/runs/${done.runId}/cancel`)
      .set(bearer(owner.token))
      .send({});
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('already succeeded');
  });

  it('publishes a retry of the same commit, failed_only included, and refuses to retry an active run', async () => {
    const heard = await gw.listen('kiln.run.requested');
    const failed = await gw.insertRun(projectId, { status: 'failed', branch: 'main' });
    await gw.prisma.run.update({
      where: { id: failed.runId },
      data: { commitMessage: 'Fix the widget', commitAuthor: 'Mona Lisa', pullRequestUrl: 'https://github.com/acme/app/pull/7' },
    });
    const res = await gw
      .http()
      .post(`/api/projects/${projectId}/runs/${failed.runId}/retry`)
      .set(bearer(owner.token))
      .send({ failed_only: true });
    expect(res.status).toBe(202);
    const retry = await heard.waitFor((m) => m.runId === res.body.id);
    expect(retry.data).toMatchObject({
      trigger: 'retry',
      event: 'retry',
      retryOfId: failed.runId,
      failedOnly: true,
      commitSha: 'a'.repeat(40),
      commitMessage: 'Fix the widget',
      commitAuthor: 'Mona Lisa',
      pullRequestUrl: 'https://github.com/acme/app/pull/7',
      branch: 'main',
      applyTriggerFilters: false,
    });

    const active = await gw.insertRun(projectId, { status: 'running' });
    const busy = await gw
      .http()
      .post(`/api/projects/${projectId}/runs/${active.runId}/retry`)
      .set(bearer(owner.token))
      .send({});
    expect(busy.status).toBe(409);
  });

  it('publishes the rerun of one step as a retry naming it, audit-logged, for write access only', async () => {
    const heard = await gw.listen('kiln.run.requested');
    const done = await gw.insertRun(projectId, {
      status: 'succeeded',
      steps: [
        { name: 'build', status: 'succeeded', exitCode: 0 },
        { name: 'test', status: 'succeeded', exitCode: 0 },
      ],
    });
    const rerun = (runId: string, stepId: string, token = owner.token) =>
      gw.http().post(`/api/projects/${projectId}/runs/${runId}/steps/${stepId}/rerun`).set(bearer(token)).send({});
    const res = await rerun(done.runId, done.stepIds[1]);
    expect(res.status).toBe(202);
    const request = await heard.waitFor((m) => m.runId === res.body.id);
    expect(request.data).toMatchObject({
      trigger: 'retry',
      event: 'retry',
      retryOfId: done.runId,
      rerunStep: 'test',
      commitSha: 'a'.repeat(40),
    });
    expect(request.data.failedOnly).toBeUndefined();
    const audit = await gw.prisma.auditLog.findMany({ where: { action: 'step.rerun', targetId: done.stepIds[1] } });
    expect(audit.map((a) => a.details)).toEqual([{ run_id: done.runId, step: 'test', new_run_id: res.body.id }]);

    const reader = await gw.createUser();
    await gw.http().post(`/api/projects/${projectId}/members`).set(bearer(owner.token)).send({ user_id: reader.id, role: 'read' });
    expect((await rerun(done.runId, done.stepIds[1], reader.token)).status).toBe(403);
    expect((await rerun(done.runId, '00000000-0000-4000-8000-000000000009')).status).toBe(404);
    const active = await gw.insertRun(projectId, { status: 'running' });
    const busy = await rerun(active.runId, active.stepIds[0]);
    expect(busy.status).toBe(409);
    expect(busy.body.message).toContain('rerun its steps once it has finished');
  });
});

describe('reading runs', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  let otherPipelineId: string;
  const runs: Record<string, string> = {};
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
    otherPipelineId = (
      await gw
        .http()
        .post(`/api/projects/${projectId}/pipelines`)
        .set(bearer(owner.token))
        .send({ name: 'nightly' })
    ).body.id;
    const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 12, minute));
    runs.a = (await gw.insertRun(projectId, { status: 'succeeded', branch: 'main', createdAt: at(0) })).runId;
    runs.b = (
      await gw.insertRun(projectId, { status: 'failed', branch: 'dev', createdAt: at(1), trigger: 'webhook' })
    ).runId;
    runs.c = (
      await gw.insertRun(projectId, {
        status: 'running',
        branch: 'main',
        createdAt: at(2),
        pipelineId: otherPipelineId,
      })
    ).runId;
    // Same timestamp: the cursor must still separate them.
    runs.d = (await gw.insertRun(projectId, { status: 'queued', branch: 'main', createdAt: at(3) })).runId;
    runs.e = (await gw.insertRun(projectId, { status: 'queued', branch: 'main', createdAt: at(3) })).runId;
  });
  afterAll(() => gw?.stop());

  const list = async (query: string, token = owner.token) => {
    const res = await gw.http().get(`/api/projects/${projectId}/runs?${query}`).set(bearer(token));
    expect(res.status).toBe(200);
    return res.body as { items: { id: string }[]; next_cursor: string | null };
  };
  const ids = (page: { items: { id: string }[] }) => page.items.map((r) => r.id);

  it('answers a run in the wire contract, with its steps in order', async () => {
    const { runId } = await gw.insertRun(projectId, {
      steps: [
        { name: 'test', status: 'succeeded', exitCode: 0, logRef: 'logs/pipelines/x/test.log' },
        { name: 'build', status: 'failed', exitCode: 2, dependsOn: ['test'] },
      ],
    });
    const res = await gw.http().get(`/api/projects/${projectId}/runs/${runId}`).set(bearer(owner.token));
    expect(res.status).toBe(200);
    for (const key of [
      'id',
      'number',
      'pipeline_id',
      'status',
      'trigger',
      'triggered_by',
      'git_ref',
      'branch',
      'commit_sha',
      'error',
      'created_at',
      'started_at',
      'finished_at',
      'steps',
    ]) {
      expect(res.body).toHaveProperty(key);
    }
    expect(res.body.steps).toEqual([
      expect.objectContaining({
        name: 'test',
        status: 'succeeded',
        exit_code: 0,
        depends_on: [],
        duration_ms: 900,
        log_ref: 'logs/pipelines/x/test.log',
      }),
      expect.objectContaining({
        name: 'build',
        status: 'failed',
        exit_code: 2,
        depends_on: ['test'],
        started_at: expect.any(String),
        finished_at: expect.any(String),
      }),
    ]);
    await gw.prisma.run.delete({ where: { id: runId } });
  });

  it("answers a run's test summary: its JUnit report files' counts summed, null without any", async () => {
    const { runId } = await gw.insertRun(projectId, { steps: [{ name: 'test', status: 'failed', exitCode: 1 }] });
    const get = async () =>
      (await gw.http().get(`/api/projects/${projectId}/runs/${runId}`).set(bearer(owner.token))).body;
    expect((await get()).test_summary).toBeNull();
    const file = (path: string, testSummary?: object) => ({
      runId,
      projectId,
      name: 'test-results',
      path,
      objectPath: `artifacts/${runId}/test-results/${path}`,
      contentType: 'application/xml',
      sizeBytes: BigInt(10),
      sha256: '0'.repeat(64),
      ...(testSummary && { testSummary }),
    });
    await gw.prisma.artifact.createMany({
      data: [
        file('unit.xml', { version: 1, tests: 10, failures: 2, errors: 0, skipped: 1 }),
        file('e2e.xml', { version: 1, tests: 4, failures: 0, errors: 1, skipped: 0 }),
        file('notes.txt'),
      ],
    });
    expect((await get()).test_summary).toEqual({ tests: 14, failures: 2, errors: 1, skipped: 1 });
    await gw.prisma.run.delete({ where: { id: runId } });
  });

  it('pages newest first with a cursor that separates runs created at the same instant', async () => {
    const first = await list('limit=2');
    expect(first.items).toHaveLength(2);
    const second = await list(`limit=2&cursor=${first.next_cursor}`);
    const third = await list(`limit=2&cursor=${second.next_cursor}`);
    expect(third.next_cursor).toBeNull();
    const all = [...ids(first), ...ids(second), ...ids(third)];
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);
    expect(all.slice(2)).toEqual([runs.c, runs.b, runs.a]);
    expect(new Set(all.slice(0, 2))).toEqual(new Set([runs.d, runs.e]));
  });

  it.each([
    ['status=failed', ['b']],
    ['status=queued,running', ['d', 'e', 'c']],
    ['branch=dev', ['b']],
    ['ref=dev', ['b']],
    ['trigger=webhook', ['b']],
    ['pipeline=nightly', ['c']],
    ['created_from=2030-01-01T12:01:00Z&created_to=2030-01-01T12:03:00Z', ['c', 'b']],
  ])('filters with %s', async (query, expected) => {
    const page = await list(query);
    expect(new Set(ids(page))).toEqual(new Set(expected.map((k) => runs[k])));
  });

  it('filters by pipeline_id', async () => {
    expect(ids(await list(`pipeline_id=${otherPipelineId}`))).toEqual([runs.c]);
  });

  it("lists runs across the caller's projects only; admins see every project", async () => {
    const stranger = await gw.createUser();
    const theirs = await gw.createProject(stranger);
    const { runId } = await gw.insertRun(theirs.id);
    const mine = await gw.http().get('/api/runs?limit=100').set(bearer(owner.token));
    expect(mine.body.items.map((r: { id: string }) => r.id)).not.toContain(runId);
    expect(mine.body.items).toHaveLength(5);
    const peek = await gw.http().get(`/api/runs?project_id=${theirs.id}`).set(bearer(owner.token));
    expect(peek.body).toEqual({ items: [], next_cursor: null });
    const admin = await gw.http().get('/api/runs?limit=100').set(bearer(gw.admin.token));
    expect(admin.body.items.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([runId, runs.a]),
    );
    const filtered = await gw.http().get('/api/runs?status=failed').set(bearer(owner.token));
    expect(filtered.body.items.map((r: { id: string }) => r.id)).toEqual([runs.b]);
  });

  it('refuses a cursor it did not make and filters with bad values, naming the field', async () => {
    for (const [query, field] of [
      ['cursor=bm9wZQ', 'cursor'],
      ['status=done', 'status'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['created_from=yesterday', 'created_from'],
      // Instants before year 1 (ISO 8601 has a year 0), which PostgreSQL cannot hold.
      ['created_from=0000-06-01', 'created_from'],
      ['created_to=0001-01-01T00:30:00%2B01:00', 'created_to'],
      ['pipeline_id=1', 'pipeline_id'],
    ]) {
      const res = await gw.http().get(`/api/projects/${projectId}/runs?${query}`).set(bearer(owner.token));
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });
});
