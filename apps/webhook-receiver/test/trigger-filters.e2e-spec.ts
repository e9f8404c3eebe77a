import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { githubExample, HELLO_WORLD, inlineDefinition, Payload } from './github-examples';
import { githubHeaders, gitlabHeaders, ReceiverHarness, startReceiverHarness } from './webhook-receiver.harness';

const ON_MAIN_AND_RELEASES = inlineDefinition('  on:\n    push: { branches: [main, "release/*"] }');

function branchPush(branch: string): Payload {
  return { ...githubExample('push', (p) => p.ref === 'refs/heads/master'), ref: `refs/heads/${branch}` };
}

describe('trigger filters and the per-pipeline route', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness();
  });
  afterAll(() => h.close());

  const deliver = (event: string, payload: Payload, secret: string, path = '/webhooks/github', deliveryId?: string) => {
    const body = JSON.stringify(payload);
    return request(h.url).post(path).set(githubHeaders(event, body, secret, deliveryId)).send(body);
  };
  const requestsFor = async (deliveryRowId: string) =>
    (await h.runRequests()).filter((r) => r.deliveryId === deliveryRowId);

  it('ignores a push to a branch the filters do not list, and says which filter decided', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'ci', yaml: ON_MAIN_AND_RELEASES }] });

    const res = await deliver('push', branchPush('feature/login'), project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', run_id: null, runs: [] });
    expect(res.body.skipped).toEqual([
      { pipeline_id: project.pipelineIds[0], reason: 'branch "feature/login" matches none of on.push.branches (main, release/*)' },
    ]);
    expect(res.body.reason).toContain('pipeline "ci" skipped');
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([]);
    const row = await h.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: res.body.delivery_record_id } });
    expect(row).toMatchObject({ status: 'ignored', runId: null });
  });

  it('starts a run for a branch a glob matches, with the filters already applied', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'ci', yaml: ON_MAIN_AND_RELEASES }] });

    const res = await deliver('push', branchPush('release/1.2'), project.secret);

    expect(res.body.status).toBe('accepted');
    expect(res.body.runs[0].reason).toBe('branch "release/1.2" matches "release/*" in on.push.branches');
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({ branch: 'release/1.2', applyTriggerFilters: false }),
    ]);
  });

  it('applies tag filters', async () => {
    const yaml = inlineDefinition('  on:\n    push: { tags: ["v*"] }');
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'release', yaml }] });
    const tagPush = githubExample('push', (p) => p.ref === 'refs/tags/simple-tag' && !p.deleted);

    const other = await deliver('push', tagPush, project.secret);
    const version = await deliver('push', { ...tagPush, ref: 'refs/tags/v1.4.0' }, project.secret);

    expect(other.body.status).toBe('ignored');
    expect(other.body.skipped[0].reason).toBe('tag "simple-tag" matches none of on.push.tags (v*)');
    expect(version.body.status).toBe('accepted');
  });

  it('applies merge request action filters', async () => {
    const yaml = inlineDefinition('  on:\n    mr: { actions: [opened] }');
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'ci', yaml }] });

    const opened = await deliver('pull_request', githubExample('pull_request', (p) => p.action === 'opened'), project.secret);
    const synced = await deliver('pull_request', githubExample('pull_request', (p) => p.action === 'synchronize'), project.secret);

    expect(opened.body.status).toBe('accepted');
    expect(synced.body.status).toBe('ignored');
    expect(synced.body.skipped[0].reason).toBe('action "synchronized" is not in on.mr.actions (opened)');
  });

  it('runs every matching pipeline of the project and lists the skipped ones', async () => {
    const project = await h.createProject({
      ...HELLO_WORLD,
      pipelines: [
        { name: 'main-only', yaml: inlineDefinition('  on:\n    push: { branches: [main] }') },
        { name: 'features', yaml: inlineDefinition('  on:\n    push: { branches: ["feature/**"] }') },
        { name: 'from-repo', yaml: null },
      ],
    });
    const [mainOnly, features, fromRepo] = project.pipelineIds;

    const res = await deliver('push', branchPush('main'), project.secret);

    expect(res.body.status).toBe('accepted');
    // The repository file's filters are known only at the commit: listed as pending, its run is not named.
    expect(res.body.runs.map((r: { pipeline_id: string }) => r.pipeline_id)).toEqual([mainOnly]);
    expect(res.body.pending_filter).toEqual([
      { pipeline_id: fromRepo, reason: expect.stringContaining('the scheduler applies its filters') },
    ]);
    expect(res.body.run_id).toBe(res.body.runs[0].run_id);
    expect(res.body.skipped).toEqual([{ pipeline_id: features, reason: expect.stringContaining('feature/**') }]);
    const requests = await requestsFor(res.body.delivery_record_id);
    expect(requests.map((r) => [r.pipelineId, r.applyTriggerFilters]).sort()).toEqual(
      [
        [mainOnly, false],
        [fromRepo, true],
      ].sort(),
    );
    expect(requests.find((r) => r.pipelineId === mainOnly)?.runId).toBe(res.body.run_id);
  });

  it('skips a pipeline whose inline definition is invalid, saying why', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'broken', yaml: 'pipeline:\n  steps: []\n' }] });

    const res = await deliver('push', branchPush('main'), project.secret);

    expect(res.body.status).toBe('ignored');
    expect(res.body.skipped[0].reason).toMatch(/^its inline definition is invalid \(line \d+: /);
  });

  it('uses a pipeline definition as soon as it was changed', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'ci', yaml: ON_MAIN_AND_RELEASES }] });
    const before = await deliver('push', branchPush('develop'), project.secret);

    await h.prisma.pipeline.update({
      where: { id: project.pipelineIds[0] },
      data: { yamlConfig: inlineDefinition('  on:\n    push: { branches: [develop] }') },
    });
    const after = await deliver('push', branchPush('develop'), project.secret);

    expect(before.body.status).toBe('ignored');
    expect(after.body.status).toBe('accepted');
  });

  it("starts only the addressed pipeline on a pipeline's own webhook URL", async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'one' }, { name: 'two' }] });
    const [, two] = project.pipelineIds;

    const res = await deliver('push', branchPush('main'), project.secret, `/pipelines/${two}/webhook/github`);

    expect(res.status).toBe(202);
    expect(res.body.pending_filter).toEqual([expect.objectContaining({ pipeline_id: two })]);
    expect((await requestsFor(res.body.delivery_record_id)).map((r) => r.pipelineId)).toEqual([two]);
    const row = await h.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: res.body.delivery_record_id } });
    expect(row.pipelineId).toBe(two);
  });

  it("accepts GitLab deliveries on a pipeline's webhook URL, whatever repository they name", async () => {
    const project = await h.createProject({ repoUrl: '/srv/git/local-only', provider: 'gitlab' });
    const payload = { object_kind: 'push', ref: 'refs/heads/main', after: 'b'.repeat(40), user_username: 'dev', project: { path_with_namespace: 'x/y' } };

    const res = await request(h.url)
      .post(`/pipelines/${project.pipelineIds[0]}/webhook/gitlab`)
      .set(gitlabHeaders('Push Hook', project.secret))
      .send(JSON.stringify(payload));

    expect(res.status).toBe(202);
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({ pipelineId: project.pipelineIds[0], branch: 'main', triggeredBy: 'dev' }),
    ]);
  });

  it('answers 404 on the webhook URL of a deleted, unknown or malformed pipeline id', async () => {
    const project = await h.createProject(HELLO_WORLD);
    await h.prisma.pipeline.update({ where: { id: project.pipelineIds[0] }, data: { deletedAt: new Date() } });

    for (const id of [project.pipelineIds[0], randomUUID(), 'not-a-uuid']) {
      const res = await deliver('push', branchPush('main'), project.secret, `/pipelines/${id}/webhook/github`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: `pipeline ${id} not found` });
    }
  });

  it('leaves pipelines created after a delivery out of its replay', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'first' }] });
    const first = await deliver('push', branchPush('main'), project.secret, '/webhooks/github', 'replay-after-new-pipeline');
    const added = await h.prisma.pipeline.create({ data: { projectId: project.id, name: 'added-later' } });

    const replay = await deliver('push', branchPush('main'), project.secret, '/webhooks/github', 'replay-after-new-pipeline');

    expect(replay.body).toEqual({ ...first.body, replayed: true });
    expect((await requestsFor(first.body.delivery_record_id)).map((r) => r.pipelineId)).not.toContain(added.id);
  });
});
