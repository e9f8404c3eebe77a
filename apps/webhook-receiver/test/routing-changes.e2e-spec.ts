import { SecretBox } from '@kiln/crypto';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { githubExample, inlineDefinition, Payload } from './github-examples';
import {
  githubHeaders,
  metricValue,
  ReceiverHarness,
  startReceiverHarness,
} from './webhook-receiver.harness';

// The receiver keeps project routing in memory and claims a delivery only while the routing
// version it was planned at is current. These tests change projects and pipelines in the
// database between deliveries, on two replicas that both have the routing cached, and expect
// the very next delivery to see the change.

const ON_MAIN = inlineDefinition('  on:\n    push: { branches: [main] }');
const ON_RELEASE = inlineDefinition('  on:\n    push: { branches: [release] }');

/** A unique repository, so that each test routes to its own projects only. */
function repository() {
  const fullName = `routing/${randomUUID().slice(0, 8)}`;
  return { fullName, repoUrl: `https://github.com/${fullName}.git` };
}

function pushTo(repo: { fullName: string }, branch = 'main'): Payload {
  const payload = githubExample('push', (p) => p.ref === 'refs/heads/master');
  const name = repo.fullName.split('/')[1];
  payload.ref = `refs/heads/${branch}`;
  // A new commit each time: the same body again would be answered as a replay.
  payload.after = randomBytes(20).toString('hex');
  payload.repository = {
    ...payload.repository,
    name,
    full_name: repo.fullName,
    clone_url: `https://github.com/${repo.fullName}.git`,
    ssh_url: `git@github.com:${repo.fullName}.git`,
    git_url: `git://github.com/${repo.fullName}.git`,
    html_url: `https://github.com/${repo.fullName}`,
    svn_url: `https://github.com/${repo.fullName}`,
  };
  return payload;
}

describe('routing changes between deliveries', () => {
  let h: ReceiverHarness;
  let box: SecretBox;

  beforeAll(async () => {
    h = await startReceiverHarness({}, 2);
    box = new SecretBox(h.config.KILN_SECRET_KEY);
  });
  afterAll(() => h.close());

  const deliver = (payload: Payload, secret: string, replica = 0) => {
    const body = JSON.stringify(payload);
    return request(h.urls[replica])
      .post('/webhooks/github')
      .set(githubHeaders('push', body, secret))
      .send(body);
  };
  /** One delivery to each replica, so both have the routing cached. */
  const warm = async (payload: Payload, secret: string) => {
    for (const replica of [0, 1]) expect((await deliver(payload, secret, replica)).status).toBe(202);
  };
  const routingVersion = async () =>
    (await h.prisma.webhookRoutingVersion.findUniqueOrThrow({ where: { id: 1 } })).version;
  const lookups = (source: string) => metricValue(h.url, 'kiln_webhook_routing_lookups_total', { source });

  it('answers repeated deliveries from memory, one database lookup per replica', async () => {
    const repo = repository();
    const project = await h.createProject({ ...repo, pipelines: [{ name: 'ci', yaml: ON_MAIN }] });
    const [cachedBefore, databaseBefore] = [await lookups('cache'), await lookups('database')];

    for (let i = 0; i < 3; i++) await warm(pushTo(repo), project.secret);

    // Both replicas share this test process's metric registry: the counts are theirs together.
    expect((await lookups('database')) - databaseBefore).toBe(2);
    expect((await lookups('cache')) - cachedBefore).toBe(4);
  });

  it('checks a changed webhook secret at once: the old one is refused, the new one accepted', async () => {
    const repo = repository();
    const project = await h.createProject({ ...repo, pipelines: [{ name: 'ci', yaml: ON_MAIN }] });
    await warm(pushTo(repo), project.secret);

    const secret = `whsec-${randomUUID()}`;
    await h.prisma.project.update({
      where: { id: project.id },
      data: { webhookSecretEnc: box.encrypt(secret, project.id) },
    });

    for (const replica of [0, 1]) {
      expect((await deliver(pushTo(repo), project.secret, replica)).status).toBe(401);
      const accepted = await deliver(pushTo(repo), secret, replica);
      expect(accepted.status).toBe(202);
      expect(accepted.body.status).toBe('accepted');
    }
  });

  it('sees pipelines added, redefined and deleted since the last delivery', async () => {
    const repo = repository();
    const project = await h.createProject({ ...repo, pipelines: [{ name: 'ci', yaml: ON_MAIN }] });
    const ci = project.pipelineIds[0];
    await warm(pushTo(repo), project.secret);
    const pipelinesOf = async (replica: number) => {
      const res = await deliver(pushTo(repo), project.secret, replica);
      expect(res.status).toBe(202);
      return {
        runs: res.body.runs.map((r: { pipeline_id: string }) => r.pipeline_id),
        skipped: res.body.skipped,
      };
    };

    const lint = await h.prisma.pipeline.create({
      data: { projectId: project.id, name: 'lint', yamlConfig: ON_MAIN },
    });
    for (const replica of [0, 1]) expect((await pipelinesOf(replica)).runs).toEqual([ci, lint.id]);

    await h.prisma.pipeline.update({ where: { id: ci }, data: { yamlConfig: ON_RELEASE } });
    for (const replica of [0, 1]) {
      const seen = await pipelinesOf(replica);
      expect(seen.runs).toEqual([lint.id]);
      expect(seen.skipped).toEqual([
        { pipeline_id: ci, reason: 'branch "main" matches none of on.push.branches (release)' },
      ]);
    }

    await h.prisma.pipeline.update({ where: { id: lint.id }, data: { deletedAt: new Date() } });
    for (const replica of [0, 1])
      expect(await pipelinesOf(replica)).toEqual({ runs: [], skipped: [expect.anything()] });
    expect(await lookups('stale')).toBeGreaterThan(0);
  });

  it('stops routing to a project whose repository changed', async () => {
    const repo = repository();
    const project = await h.createProject({ ...repo, pipelines: [{ name: 'ci', yaml: ON_MAIN }] });
    await warm(pushTo(repo), project.secret);

    const moved = repository();
    await h.prisma.project.update({
      where: { id: project.id },
      data: { repoFullName: moved.fullName, repoUrl: moved.repoUrl },
    });

    for (const replica of [0, 1]) {
      const old = await deliver(pushTo(repo), project.secret, replica);
      expect(old.body).toMatchObject({
        status: 'ignored',
        delivery_id: null,
        reason: `no project for repository ${repo.fullName}`,
      });
      expect((await deliver(pushTo(moved), project.secret, replica)).body.status).toBe('accepted');
    }
  });

  it('moves the routing version only for changes that can change where a delivery goes', async () => {
    const repo = repository();
    const project = await h.createProject({ ...repo, pipelines: [{ name: 'ci', yaml: ON_MAIN }] });
    const ci = project.pipelineIds[0];
    const before = await routingVersion();

    // What the platform writes all the time: last activity, the next cron time, other settings.
    await h.prisma.project.update({
      where: { id: project.id },
      data: { lastActivityAt: new Date(), concurrencyLimit: 3 },
    });
    await h.prisma.pipeline.update({
      where: { id: ci },
      data: { nextScheduleAt: new Date(), cancelPrevious: true },
    });
    await h.prisma.project.update({
      where: { id: project.id },
      data: { name: `project-${project.id.slice(0, 8)}` },
    });
    expect(await routingVersion()).toBe(before);

    await h.prisma.pipeline.update({ where: { id: ci }, data: { configPath: '.ci.yaml' } });
    expect(await routingVersion()).toBe(before + 1n);
    await h.prisma.project.delete({ where: { id: project.id } });
    // The project, and its pipeline by cascade.
    expect(await routingVersion()).toBe(before + 3n);
  });
});
