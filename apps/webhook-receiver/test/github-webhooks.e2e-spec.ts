import request from 'supertest';
import { githubExample, HELLO_WORLD, inlineDefinition, Payload } from './github-examples';
import { githubHeaders, ReceiverHarness, startReceiverHarness } from './webhook-receiver.harness';

describe('GitHub deliveries', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness();
  });
  afterAll(() => h.close());

  const deliver = (event: string, payload: Payload, secret: string, deliveryId?: string) => {
    const body = JSON.stringify(payload);
    return request(h.url).post('/webhooks/github').set(githubHeaders(event, body, secret, deliveryId)).send(body);
  };
  const requestsFor = async (deliveryRowId: string) =>
    (await h.runRequests()).filter((r) => r.deliveryId === deliveryRowId);

  it('requests a run for a branch push, records the delivery and names no run its repository file may filter out', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');

    const res = await deliver('push', push, project.secret, 'delivery-branch-push');

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'accepted',
      delivery_id: 'delivery-branch-push',
      replayed: false,
      run_id: null,
      runs: [],
      pending_filter: [{ pipeline_id: project.pipelineIds[0], reason: expect.stringContaining('.platform.yaml') }],
      skipped: [],
    });
    expect(res.body.reason).toContain('push to branch "master"');
    const requests = await requestsFor(res.body.delivery_record_id);
    expect(requests).toEqual([
      expect.objectContaining({
        projectId: project.id,
        pipelineId: project.pipelineIds[0],
        trigger: 'webhook',
        triggeredBy: 'Codertocat',
        event: 'push',
        gitRef: 'refs/heads/master',
        branch: 'master',
        commitSha: push.after,
        commitMessage: push.head_commit.message,
        commitAuthor: push.head_commit.author.name,
        applyTriggerFilters: true,
      }),
    ]);
    const row = await h.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: res.body.delivery_record_id } });
    expect(row).toMatchObject({
      provider: 'github',
      deliveryId: 'delivery-branch-push',
      event: 'push',
      projectId: project.id,
      status: 'accepted',
      runId: requests[0].runId,
    });
  });

  it('starts a tag run for a tag push', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const push = githubExample('push', (p) => p.ref === 'refs/tags/simple-tag' && !p.deleted);

    const res = await deliver('push', push, project.secret);

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    const [run] = await requestsFor(res.body.delivery_record_id);
    expect(run).toMatchObject({ event: 'tag', gitRef: 'refs/tags/simple-tag', tag: 'simple-tag', commitSha: push.after });
    expect(run.branch).toBeUndefined();
  });

  it('ignores a branch deletion and says so', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
    Object.assign(push, { deleted: true, created: false, before: push.after, after: '0'.repeat(40), head_commit: null });

    const res = await deliver('push', push, project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', run_id: null, runs: [] });
    expect(res.body.reason).toBe('branch "master" was deleted; deletions start no runs');
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([]);
  });

  it.each([
    ['opened', 'opened'],
    ['synchronize', 'synchronized'],
    ['reopened', 'reopened'],
  ])('starts a merge request run for pull_request %s', async (action, canonical) => {
    const project = await h.createProject(HELLO_WORLD);
    const pr = githubExample('pull_request', (p) => p.action === action);

    const res = await deliver('pull_request', pr, project.secret);

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({
        event: 'merge_request',
        mrAction: canonical,
        gitRef: `refs/pull/${pr.number}/head`,
        branch: pr.pull_request.head.ref,
        commitSha: pr.pull_request.head.sha,
        triggeredBy: pr.sender.login,
        commitMessage: pr.pull_request.title,
        commitAuthor: pr.pull_request.user.login,
        pullRequestUrl: pr.pull_request.html_url,
      }),
    ]);
  });

  it('passes on a pull request page only when it is an http(s) address', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const pr = githubExample('pull_request', (p) => p.action === 'opened');
    pr.pull_request.html_url = 'javascript:alert(document.cookie)';

    const res = await deliver('pull_request', pr, project.secret);

    expect(res.status).toBe(202);
    const [request] = await requestsFor(res.body.delivery_record_id);
    expect(request.commitSha).toBe(pr.pull_request.head.sha);
    expect(request).not.toHaveProperty('pullRequestUrl');
  });

  it('ignores a closed pull request when the filters want the default actions', async () => {
    const project = await h.createProject({ ...HELLO_WORLD, pipelines: [{ name: 'ci', yaml: inlineDefinition() }] });
    const pr = githubExample('pull_request', (p) => p.action === 'closed');

    const res = await deliver('pull_request', pr, project.secret);

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('ignored');
    expect(res.body.skipped).toEqual([{ pipeline_id: project.pipelineIds[0], reason: expect.stringContaining('"closed"') }]);
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([]);
  });

  it('ignores pull_request actions that never start runs, without storing them', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const pr = githubExample('pull_request', (p) => p.action === 'labeled');

    const res = await deliver('pull_request', pr, project.secret, 'delivery-labeled');

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', delivery_id: null, reason: 'pull_request action "labeled" starts no runs' });
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'delivery-labeled' } })).toBe(0);
  });

  it('answers a ping as ignored, without storing it', async () => {
    const ping = githubExample('ping', (p) => p.repository?.full_name === 'Octocoders/Hello-World');
    const project = await h.createProject({ repoUrl: ping.repository.clone_url, repoFullName: ping.repository.full_name });

    const res = await deliver('ping', ping, project.secret, 'delivery-ping');

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', delivery_id: null, run_id: null });
    expect(res.body.reason).toMatch(/^ping/);
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'delivery-ping' } })).toBe(0);
  });

  it('answers other GitHub events as ignored', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const issue = githubExample('issues');

    const res = await deliver('issues', issue, project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', reason: expect.stringContaining('"issues" starts no runs') });
  });

  it("accepts GitHub's form-encoded payload= deliveries, signed over the form body", async () => {
    const project = await h.createProject(HELLO_WORLD);
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
    const body = `payload=${encodeURIComponent(JSON.stringify(push))}`;
    const headers = { ...githubHeaders('push', body, project.secret), 'content-type': 'application/x-www-form-urlencoded' };

    const res = await request(h.url).post('/webhooks/github').set(headers).send(body);

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(await requestsFor(res.body.delivery_record_id)).toHaveLength(1);
  });

  it('finds the project by its ssh repo_url when it has no full name', async () => {
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
    push.repository = { ...push.repository, full_name: 'acme/ssh-only', clone_url: 'https://github.com/acme/ssh-only.git' };
    const project = await h.createProject({ repoUrl: 'git@github.com:Acme/SSH-Only.git', repoFullName: null });

    const res = await deliver('push', push, project.secret);

    expect(res.status).toBe(202);
    expect(res.body.pending_filter).toEqual([expect.objectContaining({ pipeline_id: project.pipelineIds[0] })]);
  });

  it('only runs the pipelines of the project whose secret signed the delivery', async () => {
    const signer = await h.createProject(HELLO_WORLD);
    const other = await h.createProject(HELLO_WORLD);
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');

    const res = await deliver('push', push, signer.secret);

    expect(res.status).toBe(202);
    const pipelines = (await requestsFor(res.body.delivery_record_id)).map((r) => r.pipelineId);
    expect(pipelines).toEqual([signer.pipelineIds[0]]);
    expect(pipelines).not.toContain(other.pipelineIds[0]);
  });

  it('ignores a repository no project uses and stores nothing', async () => {
    const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
    push.repository = { ...push.repository, full_name: 'stranger/unknown', clone_url: 'https://github.com/stranger/unknown.git' };

    const res = await deliver('push', push, 'any-secret', 'delivery-stranger');

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'no project for repository stranger/unknown', delivery_id: null });
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'delivery-stranger' } })).toBe(0);
  });

  it('answers without an ETag: nobody revalidates the answer to a delivery', async () => {
    const ping = githubExample('ping', (p) => p.repository?.full_name === 'Octocoders/Hello-World');
    const project = await h.createProject({ repoUrl: ping.repository.clone_url, repoFullName: ping.repository.full_name });

    const res = await deliver('ping', ping, project.secret, 'delivery-no-etag');

    expect(res.status).toBe(202);
    expect(res.headers.etag).toBeUndefined();
  });
});
