import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { bearer, Gateway, Listener, startGateway, TestUser } from './gateway.harness';

interface Tenant {
  user: TestUser;
  member: TestUser;
  ids: Record<'id' | 'pid' | 'rid' | 'sid' | 'aid' | 'wid' | 'uid', string>;
}

type Route = [method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object];

/** Every project-scoped route; `:x` placeholders are filled from a tenant's ids. */
const ROUTES: Route[] = [
  ['get', '/api/projects/:id'],
  ['patch', '/api/projects/:id', { default_branch: 'hijacked' }],
  ['delete', '/api/projects/:id'],
  ['get', '/api/projects/:id/members'],
  ['post', '/api/projects/:id/members', { user_id: '00000000-0000-4000-8000-000000000001', role: 'admin' }],
  ['patch', '/api/projects/:id/members/:uid', { role: 'admin' }],
  ['delete', '/api/projects/:id/members/:uid'],
  ['get', '/api/projects/:id/secrets'],
  ['put', '/api/projects/:id/secrets/STOLEN', { value: 'x' }],
  ['delete', '/api/projects/:id/secrets/DEPLOY_KEY'],
  ['get', '/api/projects/:id/pipelines'],
  ['post', '/api/projects/:id/pipelines', { name: 'intruder' }],
  ['get', '/api/projects/:id/pipelines/:pid'],
  ['put', '/api/projects/:id/pipelines/:pid', { name: 'renamed' }],
  ['delete', '/api/projects/:id/pipelines/:pid'],
  ['post', '/api/projects/:id/pipelines/:pid/runs', { git_ref: 'main' }],
  ['get', '/api/projects/:id/runs'],
  ['get', '/api/projects/:id/runs/:rid'],
  ['post', '/api/projects/:id/runs/:rid/cancel', {}],
  ['post', '/api/projects/:id/runs/:rid/retry', {}],
  ['get', '/api/projects/:id/runs/:rid/steps/:sid/logs'],
  ['get', '/api/projects/:id/runs/:rid/artifacts'],
  ['get', '/api/projects/:id/runs/:rid/artifacts/:aid/download'],
  ['get', '/api/projects/:id/artifacts/:aid/download'],
  ['get', '/api/projects/:id/deployments'],
  ['get', '/api/projects/:id/webhooks'],
  ['post', '/api/projects/:id/webhooks', { url: 'https://evil.example.com', events: ['build.success'] }],
  ['get', '/api/projects/:id/webhooks/:wid'],
  ['patch', '/api/projects/:id/webhooks/:wid', { url: 'https://evil.example.com' }],
  ['delete', '/api/projects/:id/webhooks/:wid'],
  ['get', '/api/projects/:id/audit'],
];

const fill = (path: string, ids: Record<string, string>) =>
  path.replace(/:(\w+)/g, (_, key: string) => ids[key]!);

describe('tenant isolation', () => {
  let gw: Gateway;
  let a: Tenant;
  let b: Tenant;
  let revoked: string;
  let expired: string;
  let events: Listener;

  async function tenant(): Promise<Tenant> {
    const user = await gw.createUser();
    const member = await gw.createUser();
    const project = await gw.createProject(user);
    const h = bearer(user.token);
    await gw
      .http()
      .post(`/api/projects/${project.id}/members`)
      .set(h)
      .send({ user_id: member.id, role: 'read' });
    await gw
      .http()
      .put(`/api/projects/${project.id}/secrets/DEPLOY_KEY`)
      .set(h)
      .send({ value: 'tenant-secret' });
    const pid = (await gw.http().post(`/api/projects/${project.id}/pipelines`).set(h).send({ name: 'ci' }))
      .body.id;
    const { runId, stepIds } = await gw.insertRun(project.id, { status: 'running', pipelineId: pid });
    const logRef = `logs/pipelines/${runId}/build.log`;
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).put(logRef, 'secret log\n');
    await gw.prisma.step.update({ where: { id: stepIds[0]! }, data: { logRef, status: 'succeeded' } });
    const artifact = await gw.prisma.artifact.create({
      data: {
        runId,
        projectId: project.id,
        name: 'out',
        path: 'a.txt',
        objectPath: `artifacts/${runId}/out/a.txt`,
        contentType: 'text/plain',
        sizeBytes: 1n,
        sha256: 'x',
      },
    });
    const wid = (
      await gw
        .http()
        .post(`/api/projects/${project.id}/webhooks`)
        .set(h)
        .send({ url: 'https://hooks.example.com', events: ['build.success'] })
    ).body.id;
    return {
      user,
      member,
      ids: { id: project.id, pid, rid: runId, sid: stepIds[0]!, aid: artifact.id, wid, uid: member.id },
    };
  }

  beforeAll(async () => {
    // Every route is probed with bad tokens from one address: far more failures than the limiter's default.
    gw = await startGateway({ KILN_AUTH_FAILURE_LIMIT: '100000' });
    a = await tenant();
    b = await tenant();
    const mint = async (name: string) =>
      (await gw.http().post('/api/tokens').set(bearer(a.user.token)).send({ name })).body;
    const r = await mint('revoked');
    await gw.http().delete(`/api/tokens/${r.id}`).set(bearer(a.user.token));
    revoked = r.token;
    const e = await mint('expired');
    await gw.prisma.apiToken.update({
      where: { id: e.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expired = e.token;
    events = await gw.listen('kiln.run.>');
  });
  afterAll(() => gw?.stop());

  const send = (route: Route, ids: Record<string, string>, headers: Record<string, string>) => {
    const [method, path, body] = route;
    const req = gw.http()[method](fill(path, ids)).set(headers);
    return body ? req.send(body) : req;
  };

  describe.each(ROUTES.map((r) => [`${r[0].toUpperCase()} ${r[1]}`, r] as const))('%s', (_, route) => {
    it("is 404 for another tenant's token", async () => {
      const res = await send(route, a.ids, bearer(b.user.token));
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(JSON.stringify(res.body)).not.toMatch(/tenant-secret|secret log|DEPLOY_KEY/);
    });

    it.each([
      ['no token', () => ({})],
      ['a wrong token', () => bearer('kiln_wrong')],
      ['a revoked token', () => bearer(revoked)],
      ['an expired token', () => bearer(expired)],
    ])('is 401 with %s', async (_label, headers) => {
      const res = await send(route, a.ids, headers());
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    if (/:(pid|rid|sid|aid|wid|uid)/.test(route[1])) {
      it("is 404 when a sub-resource id belongs to another tenant's project", async () => {
        const mixed = { ...b.ids, id: a.ids.id };
        const res = await send(route, mixed, bearer(a.user.token));
        expect(res.status).toBe(404);
      });
    }
  });

  it("left every tenant's data as it was and published nothing", async () => {
    for (const t of [a, b]) {
      const project = await gw.prisma.project.findUniqueOrThrow({
        where: { id: t.ids.id },
        include: { pipelines: true, secrets: true, outboundWebhooks: true, members: true },
      });
      expect(project.defaultBranch).toBe('main');
      expect(project.secrets.map((s) => s.name)).toEqual(['DEPLOY_KEY']);
      expect(project.pipelines.map((p) => p.name).sort()).toEqual(['ci', 'default']);
      expect(project.outboundWebhooks.map((w) => w.url)).toEqual(['https://hooks.example.com']);
      expect(project.members.map((m) => m.role).sort()).toEqual(['admin', 'read']);
    }
    expect(events.messages).toEqual([]);
  });

  it('lists neither the projects nor the runs of other tenants', async () => {
    const projects = await gw.http().get('/api/projects').set(bearer(b.user.token));
    expect(projects.body.items.map((p: { id: string }) => p.id)).toEqual([b.ids.id]);
    const runs = await gw.http().get('/api/runs').set(bearer(b.user.token));
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([b.ids.rid]);
    const filtered = await gw.http().get(`/api/runs?project_id=${a.ids.id}`).set(bearer(b.user.token));
    expect(filtered.body.items).toEqual([]);
  });

  it('lets a read member read but not change, and the platform audit log only to admins', async () => {
    const h = bearer(a.member.token);
    expect((await gw.http().get(`/api/projects/${a.ids.id}/runs/${a.ids.rid}`).set(h)).status).toBe(200);
    expect(
      (await gw.http().post(`/api/projects/${a.ids.id}/runs/${a.ids.rid}/cancel`).set(h).send({})).status,
    ).toBe(403);
    expect((await gw.http().get(`/api/projects/${a.ids.id}/secrets`).set(h)).status).toBe(403);
    expect((await gw.http().get('/api/audit').set(h)).status).toBe(403);
    expect((await gw.http().get('/api/audit').set(bearer(gw.admin.token))).status).toBe(200);
  });
});
