import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Payload } from './github-examples';
import { gitlabHeaders, ReceiverHarness, startReceiverHarness } from './webhook-receiver.harness';

function fixture(name: string): Payload {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as Payload;
}

describe('GitLab deliveries', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness();
  });
  afterAll(() => h.close());

  const deliver = (event: string, payload: Payload, token: string, extra: Record<string, string> = {}) =>
    request(h.url)
      .post('/webhooks/gitlab')
      .set({ ...gitlabHeaders(event, token), ...extra })
      .send(JSON.stringify(payload));
  const requestsFor = async (deliveryRowId: string) =>
    (await h.runRequests()).filter((r) => r.deliveryId === deliveryRowId);

  it('starts a run for a Push Hook, finding the project by its clone URL', async () => {
    const project = await h.createProject({ repoUrl: 'http://example.com/mike/diaspora.git', provider: 'gitlab' });
    const push = fixture('gitlab-push-hook');

    const res = await deliver('Push Hook', push, project.secret);

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({
        projectId: project.id,
        event: 'push',
        gitRef: 'refs/heads/master',
        branch: 'master',
        commitSha: push.checkout_sha,
        triggeredBy: 'jsmith',
        trigger: 'webhook',
        // The pushed head's commit, not the first one listed.
        commitMessage: 'fixed readme',
        commitAuthor: 'GitLab dev user',
      }),
    ]);
  });

  it('starts a tag run for a Tag Push Hook, finding the project by its full name', async () => {
    const project = await h.createProject({
      repoUrl: 'git@gitlab.internal:jsmith/example.git',
      repoFullName: 'jsmith/example',
      provider: 'gitlab',
    });
    const tag = fixture('gitlab-tag-push-hook');

    const res = await deliver('Tag Push Hook', tag, project.secret);

    expect(res.status).toBe(202);
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({ event: 'tag', tag: 'v1.0.0', gitRef: 'refs/tags/v1.0.0', commitSha: tag.checkout_sha }),
    ]);
  });

  it('ignores a deleted tag', async () => {
    const project = await h.createProject({ repoUrl: 'http://example.com/jsmith/example.git', provider: 'gitlab' });
    const tag = { ...fixture('gitlab-tag-push-hook'), before: 'a'.repeat(40), after: '0'.repeat(40), checkout_sha: null };

    const res = await deliver('Tag Push Hook', tag, project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'tag "v1.0.0" was deleted; deletions start no runs' });
  });

  it.each([
    ['open', {}, 'opened'],
    ['update', { oldrev: '95790bf891e76fee5e1747ab589903a6a1f80f22' }, 'synchronized'],
    ['reopen', {}, 'reopened'],
  ])('starts a merge request run for a Merge Request Hook "%s"', async (action, extra, canonical) => {
    const project = await h.createProject({ repoUrl: 'https://example.com/gitlabhq/gitlab-test', provider: 'gitlab' });
    const mr = fixture('gitlab-merge-request-hook');
    Object.assign(mr.object_attributes, { action, ...extra });

    const res = await deliver('Merge Request Hook', mr, project.secret);

    expect(res.status).toBe(202);
    expect(await requestsFor(res.body.delivery_record_id)).toEqual([
      expect.objectContaining({
        event: 'merge_request',
        mrAction: canonical,
        gitRef: 'refs/merge-requests/1/head',
        branch: 'ms-viewport',
        commitSha: mr.object_attributes.last_commit.id,
        triggeredBy: 'root',
        commitMessage: 'fixed readme',
        commitAuthor: 'GitLab dev user',
        pullRequestUrl: 'http://example.com/diaspora/merge_requests/1',
      }),
    ]);
  });

  it('ignores a merge request update that brings no new commits', async () => {
    const project = await h.createProject({ repoUrl: 'https://example.com/gitlabhq/gitlab-test', provider: 'gitlab' });
    const mr = fixture('gitlab-merge-request-hook');
    mr.object_attributes.action = 'update';

    const res = await deliver('Merge Request Hook', mr, project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'merge request !1 was updated without new commits' });
  });

  it('rejects a wrong X-Gitlab-Token with 401 and stores nothing', async () => {
    const project = await h.createProject({ repoUrl: 'http://example.com/mike/diaspora.git', provider: 'gitlab' });

    const res = await deliver('Push Hook', fixture('gitlab-push-hook'), `${project.secret}x`, {
      'x-gitlab-event-uuid': 'gitlab-wrong-token',
    });

    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: "the X-Gitlab-Token header does not match the project's webhook secret",
    });
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'gitlab-wrong-token' } })).toBe(0);
  });

  it('keys deliveries by Idempotency-Key before X-Gitlab-Event-UUID', async () => {
    const project = await h.createProject({ repoUrl: 'http://example.com/mike/diaspora.git', provider: 'gitlab' });

    const res = await deliver('Push Hook', fixture('gitlab-push-hook'), project.secret, {
      'idempotency-key': 'gitlab-idempotency-key',
      'x-gitlab-event-uuid': 'shared-event-uuid',
    });

    expect(res.status).toBe(202);
    const row = await h.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: res.body.delivery_record_id } });
    expect(row).toMatchObject({ provider: 'gitlab', deliveryId: 'gitlab-idempotency-key', event: 'Push Hook' });
  });

  it('answers other GitLab events as ignored', async () => {
    const project = await h.createProject({ repoUrl: 'http://example.com/mike/diaspora.git', provider: 'gitlab' });

    const res = await deliver('Pipeline Hook', { ...fixture('gitlab-push-hook'), object_kind: 'pipeline' }, project.secret);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', delivery_id: null, reason: expect.stringContaining('"Pipeline Hook"') });
  });
});
