import { bearer, Gateway, startGateway } from './gateway.harness';

describe('users by id', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.stop());

  const admin = () => bearer(gw.admin.token);

  it('reads and edits a user, refusing a taken email', async () => {
    const user = await gw.createUser('Grace');
    const read = await gw.http().get(`/api/users/${user.id}`).set(admin());
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: user.id, name: 'Grace', disabled: false, disabled_at: null });
    const edit = await gw
      .http()
      .patch(`/api/users/${user.id}`)
      .set(admin())
      .send({ name: 'Grace H', email: 'Grace.H@Example.com' });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ name: 'Grace H', email: 'grace.h@example.com' });
    const other = await gw.createUser('Other');
    const taken = await gw.http().patch(`/api/users/${other.id}`).set(admin()).send({ email: 'grace.h@example.com' });
    expect(taken.status).toBe(409);
    const bad = await gw.http().patch(`/api/users/${other.id}`).set(admin()).send({ email: 'nope', disabled: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['disabled', 'email']);
  });

  it('disables a user: every token is revoked and refused with 401 saying the owner is disabled', async () => {
    const user = await gw.createUser('Linus');
    const second = await gw.http().post('/api/tokens').set(bearer(user.token)).send({ name: 'laptop' });
    expect((await gw.http().get('/api/me').set(bearer(second.body.token))).status).toBe(200);

    const disable = await gw.http().patch(`/api/users/${user.id}`).set(admin()).send({ disabled: true });
    expect(disable.status).toBe(200);
    expect(disable.body).toMatchObject({ disabled: true, disabled_at: expect.any(String) });
    for (const token of [user.token, second.body.token]) {
      const refused = await gw.http().get('/api/me').set(bearer(token));
      expect(refused.status).toBe(401);
      expect(refused.body.message).toBe('the token owner is disabled');
    }
    const tokens = await gw.prisma.apiToken.findMany({ where: { userId: user.id } });
    expect(tokens.map((t) => t.revokedAt)).toEqual([expect.any(Date), expect.any(Date)]);
    const audit = await gw.prisma.auditLog.findFirstOrThrow({ where: { action: 'user.update', targetId: user.id } });
    expect(audit.details).toMatchObject({ changed: ['disabled'], tokens_revoked: 2 });

    const enable = await gw.http().patch(`/api/users/${user.id}`).set(admin()).send({ disabled: false });
    expect(enable.body.disabled).toBe(false);
    expect((await gw.http().get('/api/me').set(bearer(user.token))).body.message).toBe('API token was revoked');
  });

  it('deletes a user with their memberships and tokens', async () => {
    const owner = await gw.createUser('Owner');
    const project = await gw.createProject(owner);
    const user = await gw.createUser('Member');
    const added = await gw
      .http()
      .post(`/api/projects/${project.id}/members`)
      .set(bearer(owner.token))
      .send({ user_id: user.id, role: 'read' });
    expect(added.status).toBe(201);
    expect((await gw.http().delete(`/api/users/${user.id}`).set(admin())).status).toBe(204);
    expect((await gw.http().get(`/api/users/${user.id}`).set(admin())).status).toBe(404);
    expect((await gw.http().get('/api/me').set(bearer(user.token))).status).toBe(401);
    const members = await gw.http().get(`/api/projects/${project.id}/members`).set(bearer(owner.token));
    expect(members.body.items.map((m: { user_id: string }) => m.user_id)).not.toContain(user.id);
    expect((await gw.http().delete(`/api/users/${user.id}`).set(admin())).status).toBe(404);
  });

  it('keeps these to platform admins, and an admin cannot disable or delete themselves', async () => {
    const user = await gw.createUser('Plain');
    for (const call of [
      gw.http().get(`/api/users/${user.id}`),
      gw.http().patch(`/api/users/${user.id}`).send({ name: 'x' }),
      gw.http().delete(`/api/users/${user.id}`),
    ])
      expect((await call.set(bearer(user.token))).status).toBe(403);
    const self = await gw.http().patch(`/api/users/${gw.admin.id}`).set(admin()).send({ disabled: true });
    expect(self.status).toBe(409);
    expect((await gw.http().delete(`/api/users/${gw.admin.id}`).set(admin())).status).toBe(409);
    expect((await gw.http().get('/api/users/not-a-uuid').set(admin())).status).toBe(400);
  });
});
