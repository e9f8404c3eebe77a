import { SecretBox } from '@kiln/crypto';
import { SECRET_BOX } from '../src/common/secret-box.provider';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('members', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  const members = (token: string) => gw.http().get(`/api/projects/${projectId}/members`).set(bearer(token));

  it('adds a member with a role that decides what they may do', async () => {
    const reader = await gw.createUser();
    const add = await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: reader.id, role: 'read' });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ user_id: reader.id, role: 'read' });
    expect((await gw.http().get(`/api/projects/${projectId}`).set(bearer(reader.token))).body.role).toBe(
      'read',
    );
    const write = await gw
      .http()
      .post(`/api/projects/${projectId}/pipelines`)
      .set(bearer(reader.token))
      .send({ name: 'nope' });
    expect(write.status).toBe(403);

    const promote = await gw
      .http()
      .patch(`/api/projects/${projectId}/members/${reader.id}`)
      .set(bearer(owner.token))
      .send({ role: 'write' });
    expect(promote.body.role).toBe('write');
    expect(
      (
        await gw
          .http()
          .post(`/api/projects/${projectId}/pipelines`)
          .set(bearer(reader.token))
          .send({ name: 'now-yes' })
      ).status,
    ).toBe(201);

    expect(
      (await gw.http().delete(`/api/projects/${projectId}/members/${reader.id}`).set(bearer(owner.token)))
        .status,
    ).toBe(204);
    expect((await gw.http().get(`/api/projects/${projectId}`).set(bearer(reader.token))).status).toBe(404);
  });

  it('answers 409 for a second membership and 404 for an unknown user', async () => {
    const user = await gw.createUser();
    await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: user.id, role: 'read' });
    const twice = await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: user.id, role: 'write' });
    expect(twice.status).toBe(409);
    const unknown = await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: '00000000-0000-4000-8000-000000000000', role: 'read' });
    expect(unknown.status).toBe(404);
  });

  it('keeps at least one admin', async () => {
    const demote = await gw
      .http()
      .patch(`/api/projects/${projectId}/members/${owner.id}`)
      .set(bearer(owner.token))
      .send({ role: 'read' });
    expect(demote.status).toBe(409);
    const leave = await gw
      .http()
      .delete(`/api/projects/${projectId}/members/${owner.id}`)
      .set(bearer(owner.token));
    expect(leave.status).toBe(409);
    expect((await members(owner.token)).body.items).toContainEqual(
      expect.objectContaining({ user_id: owner.id, role: 'admin' }),
    );
  });

  it('records every membership change in the audit log', async () => {
    const actions = await gw.prisma.auditLog.findMany({
      where: { projectId, action: { startsWith: 'member.' } },
      select: { action: true },
    });
    expect(new Set(actions.map((a) => a.action))).toEqual(
      new Set(['member.add', 'member.update', 'member.remove']),
    );
    const viaApi = await gw
      .http()
      .get(`/api/projects/${projectId}/audit?action=member.add`)
      .set(bearer(owner.token));
    expect(viaApi.body.items.length).toBeGreaterThanOrEqual(2);
    expect(viaApi.body.items[0]).toMatchObject({
      action: 'member.add',
      actor_id: owner.id,
      project_id: projectId,
    });
  });
});

describe('secrets', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  it('stores a secret encrypted and only ever shows its name', async () => {
    const put = await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/NPM_TOKEN`)
      .set(bearer(owner.token))
      .send({ value: 'npm-s3cr3t' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      name: 'NPM_TOKEN',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const row = await gw.prisma.secret.findUniqueOrThrow({
      where: { projectId_name: { projectId, name: 'NPM_TOKEN' } },
    });
    expect(row.valueEnc).not.toContain('npm-s3cr3t');
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.valueEnc, projectId)).toBe('npm-s3cr3t');
    const list = await gw.http().get(`/api/projects/${projectId}/secrets`).set(bearer(owner.token));
    expect(list.text).not.toContain('npm-s3cr3t');
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['NPM_TOKEN']);
    const audit = await gw.prisma.auditLog.findFirstOrThrow({ where: { action: 'secret.put', projectId } });
    expect(JSON.stringify({ ...audit, id: String(audit.id) })).not.toContain('npm-s3cr3t');
  });

  it('replaces a value, deletes it, and answers 404 for a missing one', async () => {
    await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/API_KEY`)
      .set(bearer(owner.token))
      .send({ value: 'one' });
    await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/API_KEY`)
      .set(bearer(owner.token))
      .send({ value: 'two' });
    const row = await gw.prisma.secret.findUniqueOrThrow({
      where: { projectId_name: { projectId, name: 'API_KEY' } },
    });
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.valueEnc, projectId)).toBe('two');
    expect(
      (await gw.http().delete(`/api/projects/${projectId}/secrets/API_KEY`).set(bearer(owner.token))).status,
    ).toBe(204);
    expect(
      (await gw.http().delete(`/api/projects/${projectId}/secrets/API_KEY`).set(bearer(owner.token))).status,
    ).toBe(404);
  });

  it('leaves secrets to project admins', async () => {
    const writer = await gw.createUser();
    await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: writer.id, role: 'write' });
    const put = await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/X`)
      .set(bearer(writer.token))
      .send({ value: 'v' });
    expect(put.status).toBe(403);
  });

  it('refuses a secret name that could not be an environment variable', async () => {
    const res = await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/1-bad-name`)
      .set(bearer(owner.token))
      .send({ value: 'v' });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'name' })]);
  });
});

describe('outbound webhooks', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  it('creates, lists, changes and deletes a webhook whose secret is shown once and stored encrypted', async () => {
    const base = `/api/projects/${projectId}/webhooks`;
    const created = await gw
      .http()
      .post(base)
      .set(bearer(owner.token))
      .send({ url: 'https://hooks.example.com/kiln', events: ['build.failure'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'https://hooks.example.com/kiln',
      events: ['build.failure'],
      active: true,
      secret: expect.any(String),
    });
    const row = await gw.prisma.outboundWebhook.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.secretEnc, projectId)).toBe(created.body.secret);

    const listed = await gw.http().get(base).set(bearer(owner.token));
    expect(listed.body.items).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);
    const patched = await gw
      .http()
      .patch(`${base}/${created.body.id}`)
      .set(bearer(owner.token))
      .send({ events: ['build.success', 'build.failure'], active: false });
    expect(patched.body).toMatchObject({ events: ['build.success', 'build.failure'], active: false });
    expect((await gw.http().delete(`${base}/${created.body.id}`).set(bearer(owner.token))).status).toBe(204);
    expect((await gw.http().get(`${base}/${created.body.id}`).set(bearer(owner.token))).status).toBe(404);
  });

  it('refuses unknown events and URLs that are not http(s)', async () => {
    const res = await gw
      .http()
      .post(`/api/projects/${projectId}/webhooks`)
      .set(bearer(owner.token))
      .send({ url: 'ftp://x.example.com', events: ['build.started'] });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['events', 'url']);
  });

  it('refuses URLs whose host the SSRF guard refuses, on create and on change', async () => {
    const base = `/api/projects/${projectId}/webhooks`;
    for (const [url, reason] of [
      ['http://127.0.0.1:9000/hook', 'url host is a loopback address'],
      ['http://localhost/hook', 'url host is a loopback name'],
      ['http://[::1]/hook', 'url host is a loopback address'],
      ['http://0x7f000001/hook', 'url host is a loopback address'],
      ['http://10.0.0.1/hook', 'url host is a private address'],
      ['http://169.254.169.254/latest/meta-data', 'url host is a cloud metadata address'],
      ['http://metadata.google.internal/computeMetadata/v1', 'url host is a cloud metadata name'],
    ]) {
      const res = await gw
        .http()
        .post(base)
        .set(bearer(owner.token))
        .send({ url, events: ['build.success'] });
      expect({ url, status: res.status, details: res.body.details }).toEqual({
        url,
        status: 400,
        details: [{ field: 'url', message: expect.stringMatching(new RegExp(`^${reason};`)) }],
      });
    }
    const created = await gw
      .http()
      .post(base)
      .set(bearer(owner.token))
      .send({ url: 'https://hooks.example.com/kiln', events: ['build.success'] });
    const patched = await gw
      .http()
      .patch(`${base}/${created.body.id}`)
      .set(bearer(owner.token))
      .send({ url: 'http://192.168.1.1/hook' });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toMatch(
      /^url host is a private address; only hosts the operator lists in KILN_ALLOWED_PRIVATE_HOSTS/,
    );
  });
});
