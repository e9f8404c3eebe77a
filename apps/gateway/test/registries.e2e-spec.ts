import { SecretBox } from '@kiln/crypto';
import { SECRET_BOX } from '../src/common/secret-box.provider';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

const PASSWORD = 'reg-pa55-w0rd-never-shown';

describe('registry credentials', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  const path = (server = '') => `/api/projects/${projectId}/registries${server && `/${server}`}`;
  const put = (server: string, body: object, token = owner.token) =>
    gw.http().put(path(server)).set(bearer(token)).send(body);

  it('stores the password encrypted and lists server and username only', async () => {
    const stored = await put('registry.example.com:5000', { username: 'puller', password: PASSWORD });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual({
      server: 'registry.example.com:5000',
      username: 'puller',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const row = await gw.prisma.registryCredential.findUniqueOrThrow({
      where: { projectId_server: { projectId, server: 'registry.example.com:5000' } },
    });
    expect(row.passwordEnc).not.toContain(PASSWORD);
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.passwordEnc, projectId)).toBe(PASSWORD);

    const list = await gw.http().get(path()).set(bearer(owner.token));
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(PASSWORD);
    expect(list.body.items).toEqual([
      {
        server: 'registry.example.com:5000',
        username: 'puller',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);
    const audit = await gw.prisma.auditLog.findFirstOrThrow({
      where: { action: 'registry_credential.put', projectId },
    });
    expect(audit.targetId).toBe('registry.example.com:5000');
    expect(JSON.stringify({ ...audit, id: String(audit.id) })).not.toContain(PASSWORD);
  });

  it('replaces the credentials of a server, deletes them, and answers 404 for missing ones', async () => {
    await put('ghcr.io', { username: 'one', password: 'first-password' });
    const replaced = await put('ghcr.io', { username: 'two', password: 'second-password' });
    expect(replaced.body.username).toBe('two');
    const row = await gw.prisma.registryCredential.findUniqueOrThrow({
      where: { projectId_server: { projectId, server: 'ghcr.io' } },
    });
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.passwordEnc, projectId)).toBe('second-password');

    expect((await gw.http().delete(path('ghcr.io')).set(bearer(owner.token))).status).toBe(204);
    expect((await gw.http().delete(path('ghcr.io')).set(bearer(owner.token))).status).toBe(404);
    const servers = (await gw.http().get(path()).set(bearer(owner.token))).body.items.map(
      (c: { server: string }) => c.server,
    );
    expect(servers).not.toContain('ghcr.io');
    expect(
      await gw.prisma.auditLog.count({ where: { action: 'registry_credential.delete', projectId } }),
    ).toBe(1);
  });

  it('lets a read member neither list nor change them (403)', async () => {
    const reader = await gw.createUser();
    const added = await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: reader.id, role: 'read' });
    expect(added.status).toBe(201);
    expect((await gw.http().get(path()).set(bearer(reader.token))).status).toBe(403);
    expect((await put('quay.io', { username: 'u', password: 'p' }, reader.token)).status).toBe(403);
    expect((await gw.http().delete(path('registry.example.com:5000')).set(bearer(reader.token))).status).toBe(
      403,
    );
    expect(await gw.prisma.registryCredential.count({ where: { projectId, server: 'quay.io' } })).toBe(0);
  });

  it.each([
    ['a scheme', 'https:'],
    ['an encoded scheme and path', encodeURIComponent('https://registry.example.com/team')],
    ['upper case', 'Registry.Example.com'],
    ['a port out of range', 'registry.example.com:70000'],
    ['user info', encodeURIComponent('user@registry.example.com')],
  ])('answers 400 naming the rule for a server with %s', async (_, server) => {
    const res = await put(server, { username: 'u', password: 'p' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/server .* is not a registry host; write host\[:port\] in lowercase/);
  });

  it('answers 400 for a missing password', async () => {
    const res = await put('registry.example.com', { username: 'u' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('password');
  });
});
