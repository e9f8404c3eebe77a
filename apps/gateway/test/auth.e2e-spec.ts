import { generateApiToken, generateKey, hashToken } from '@kiln/crypto';
import { startService } from '@kiln/observability';
import { uniqueNatsPrefix } from '@kiln/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';
import { configureGateway } from '../src/gateway.setup';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('authentication and tokens', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.stop());

  it('accepts the token as a Bearer token or in X-API-Key', async () => {
    const viaBearer = await gw.http().get('/api/me').set(bearer(gw.admin.token));
    const viaHeader = await gw.http().get('/api/me').set('X-API-Key', gw.admin.token);
    expect(viaBearer.status).toBe(200);
    expect(viaHeader.status).toBe(200);
    expect(viaBearer.body).toMatchObject({
      name: 'admin',
      is_admin: true,
      scopes: ['project:read', 'project:write', 'admin'],
    });
  });

  it.each([
    ['no token', {}, 'missing API token'],
    ['a wrong token', bearer('kiln_not-a-real-token'), 'invalid API token'],
    ['another scheme', { Authorization: 'Basic YWRtaW46YWRtaW4=' }, 'unsupported Authorization scheme'],
  ])('refuses %s with 401 and the reason', async (_, headers, reason) => {
    const res = await gw.http().get('/api/me').set(headers);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringContaining(reason),
    });
  });

  it('shows a new token once, stores only its hash, and lists it without the value', async () => {
    const created = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(gw.admin.token))
      .send({ name: 'laptop', scopes: ['project:read'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^kiln_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      name: 'laptop',
      scopes: ['project:read'],
      prefix: created.body.token.slice(0, 12),
    });
    const row = await gw.prisma.apiToken.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.tokenHash).toBe(hashToken(created.body.token));
    expect(JSON.stringify(row)).not.toContain(created.body.token);

    const list = await gw.http().get('/api/tokens').set(bearer(gw.admin.token));
    const listed = list.body.items.find((t: { id: string }) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: 'laptop', prefix: created.body.prefix });
    expect(listed.token).toBeUndefined();
  });

  it('refuses a revoked token and an expired one, each with its reason', async () => {
    const user = await gw.createUser();
    const second = await gw.http().post('/api/tokens').set(bearer(user.token)).send({ name: 'short-lived' });
    const revoke = await gw.http().delete(`/api/tokens/${user.tokenId}`).set(bearer(second.body.token));
    expect(revoke.status).toBe(204);
    const revoked = await gw.http().get('/api/me').set(bearer(user.token));
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toBe('API token was revoked');

    await gw.prisma.apiToken.update({
      where: { id: second.body.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await gw.http().get('/api/me').set(bearer(second.body.token));
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('API token expired');
  });

  it('records when a token was last used, at most once a minute', async () => {
    const user = await gw.createUser();
    await gw.http().get('/api/me').set(bearer(user.token));
    const first = await gw.prisma.apiToken.findUniqueOrThrow({ where: { id: user.tokenId } });
    expect(first.lastUsedAt).not.toBeNull();
    await gw.http().get('/api/me').set(bearer(user.token));
    const second = await gw.prisma.apiToken.findUniqueOrThrow({ where: { id: user.tokenId } });
    expect(second.lastUsedAt).toEqual(first.lastUsedAt);
  });

  it('expires a token created with expires_in_days and refuses one that expires in the past', async () => {
    const user = await gw.createUser();
    const soon = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'week', expires_in_days: 7 });
    expect(soon.status).toBe(201);
    expect(new Date(soon.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const past = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'old', expires_at: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.message).toContain('expires_at must be in the future');
  });

  it('lets a token grant only the scopes it holds', async () => {
    const user = await gw.createUser();
    const readOnly = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'ro', scopes: ['project:read'] });
    const escalate = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(readOnly.body.token))
      .send({ name: 'rw', scopes: ['project:write'] });
    expect(escalate.status).toBe(403);
    expect(escalate.body.message).toContain('project:write');
    const admin = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'adm', scopes: ['admin'] });
    expect(admin.status).toBe(403);
  });

  it('keeps a read-only token away from changes', async () => {
    const user = await gw.createUser();
    const readOnly = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'ro', scopes: ['project:read'] });
    const res = await gw
      .http()
      .post('/api/projects')
      .set(bearer(readOnly.body.token))
      .send({ name: 'ro-project', repo_url: 'https://github.com/a/b', provider: 'github' });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('this token lacks the "project:write" scope');
  });

  it('never lets a token mint a child that outlives it', async () => {
    const user = await gw.createUser();
    const parent = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'week', expires_in_days: 7 });
    const inherited = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(parent.body.token))
      .send({ name: 'child' });
    expect(inherited.status).toBe(201);
    expect(inherited.body.expires_at).toBe(parent.body.expires_at);
    const later = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(parent.body.token))
      .send({ name: 'longer', expires_in_days: 30 });
    expect(later.status).toBe(400);
    expect(later.body.message).toBe(
      `the calling token expires at ${parent.body.expires_at}; a token it creates cannot expire later`,
    );
    const sooner = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(parent.body.token))
      .send({ name: 'day', expires_in_days: 1 });
    expect(sooner.status).toBe(201);
  });

  it("refuses a read-only token revoking its owner's write token", async () => {
    const user = await gw.createUser();
    const readOnly = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .send({ name: 'ro', scopes: ['project:read'] });
    const res = await gw.http().delete(`/api/tokens/${user.tokenId}`).set(bearer(readOnly.body.token));
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('this token cannot revoke a token with scopes it lacks: project:write');
    expect((await gw.http().get('/api/me').set(bearer(user.token))).status).toBe(200);
    const own = await gw.http().delete(`/api/tokens/${readOnly.body.id}`).set(bearer(user.token));
    expect(own.status).toBe(204);
  });

  it("never lets a user revoke another user's token", async () => {
    const alice = await gw.createUser();
    const bob = await gw.createUser();
    const res = await gw.http().delete(`/api/tokens/${alice.tokenId}`).set(bearer(bob.token));
    expect(res.status).toBe(404);
    expect((await gw.http().get('/api/me').set(bearer(alice.token))).status).toBe(200);
  });
});

describe('users', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.stop());

  it('lets the admin create a user, answered with a first token that works', async () => {
    const res = await gw
      .http()
      .post('/api/users')
      .set(bearer(gw.admin.token))
      .send({ name: 'Ada', email: 'Ada@Example.com' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Ada',
      email: 'ada@example.com',
      is_admin: false,
      token: expect.stringMatching(/^kiln_/),
    });
    const me = await gw.http().get('/api/me').set(bearer(res.body.token));
    expect(me.body).toMatchObject({
      id: res.body.id,
      scopes: ['project:read', 'project:write'],
      memberships: [],
    });
    const audit = await gw.prisma.auditLog.findFirstOrThrow({
      where: { action: 'user.create', targetId: res.body.id },
    });
    expect(audit.actorId).toBe(gw.admin.id);
  });

  it('answers 409 for an email that is taken', async () => {
    const body = { name: 'Twin', email: 'twin@example.com' };
    expect((await gw.http().post('/api/users').set(bearer(gw.admin.token)).send(body)).status).toBe(201);
    const again = await gw.http().post('/api/users').set(bearer(gw.admin.token)).send(body);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('twin@example.com');
  });

  it('keeps user management to platform admins', async () => {
    const user = await gw.createUser();
    const create = await gw
      .http()
      .post('/api/users')
      .set(bearer(user.token))
      .send({ name: 'x', email: 'x@example.com' });
    expect(create.status).toBe(403);
    expect((await gw.http().get('/api/users').set(bearer(user.token))).status).toBe(403);
    const list = await gw.http().get('/api/users').set(bearer(gw.admin.token));
    expect(list.body.items.map((u: { id: string }) => u.id)).toContain(user.id);
  });

  it('lists the projects a user is a member of in /api/me', async () => {
    const user = await gw.createUser();
    const project = await gw.createProject(user);
    const me = await gw.http().get('/api/me').set(bearer(user.token));
    expect(me.body.memberships).toEqual([
      { project_id: project.id, project_name: project.name, role: 'admin' },
    ]);
  });
});

describe('rate limit', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ KILN_RATE_LIMIT: '5', KILN_RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(() => gw?.stop());

  it('answers 429 with Retry-After once a token used up its window, other tokens unaffected', async () => {
    const other = await gw.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await gw.http().get('/api/me').set(bearer(gw.admin.token))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await gw.http().get('/api/me').set(bearer(gw.admin.token));
    expect(limited.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('rate limit exceeded'),
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await gw.http().get('/api/me').set(bearer(other.token))).status).toBe(200);
    expect((await gw.http().get('/healthz')).status).toBe(200);
  });
});

describe('failed authentication and proxies', () => {
  const fake = () => `kiln_${randomBytes(24).toString('hex')}`;
  const auditIp = async (gw: Gateway, user: TestUser, forwardedFor: string) => {
    const res = await gw
      .http()
      .post('/api/tokens')
      .set(bearer(user.token))
      .set('X-Forwarded-For', forwardedFor)
      .send({ name: 'audited' });
    const entry = await gw.prisma.auditLog.findFirstOrThrow({
      where: { action: 'token.create', targetId: res.body.id },
    });
    return entry.ip;
  };

  describe('with no trusted proxy', () => {
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway({ KILN_AUTH_FAILURE_LIMIT: '3' });
    });
    afterAll(() => gw?.stop());

    it('records the connecting address, not a forwarded one', async () => {
      const user = await gw.createUser();
      expect(await auditIp(gw, user, '203.0.113.9')).toMatch(/127\.0\.0\.1$/);
    });

    it('answers 429 once an address used up its failures, whatever tokens or forwarded addresses it tries', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await gw.http().get('/api/me').set(bearer(fake())).set('X-Forwarded-For', `203.0.113.${i}`))
            .status,
        );
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await gw
        .http()
        .get('/api/me')
        .set(bearer(fake()))
        .set('X-Forwarded-For', '198.51.100.1');
      expect(limited.status).toBe(429);
      expect(limited.body.message).toContain('too many failed authentications from this address');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await gw.http().get('/api/me')).status).toBe(429);
      expect((await gw.http().get('/healthz')).status).toBe(200);
    });
  });

  describe('behind a trusted proxy', () => {
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway({
        KILN_AUTH_FAILURE_LIMIT: '2',
        KILN_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1',
      });
    });
    afterAll(() => gw?.stop());

    it('takes the client address from X-Forwarded-For', async () => {
      const user = await gw.createUser();
      expect(await auditIp(gw, user, '203.0.113.9')).toBe('203.0.113.9');
    });

    it('counts failures per forwarded client', async () => {
      const from = (ip: string) => gw.http().get('/api/me').set(bearer(fake())).set('X-Forwarded-For', ip);
      expect([(await from('203.0.113.20')).status, (await from('203.0.113.20')).status]).toEqual([401, 401]);
      expect((await from('203.0.113.20')).status).toBe(429);
      expect((await from('203.0.113.21')).status).toBe(401);
    });
  });
});

describe('bootstrap admin', () => {
  it('generates an admin token on first start, prints it once, and never again', async () => {
    const gw = await startGateway();
    const dataDir = mkdtempSync(join(tmpdir(), 'kiln-boot-'));
    const env = {
      DATABASE_URL: gw.db.url,
      NATS_URL: process.env.NATS_URL,
      KILN_NATS_PREFIX: uniqueNatsPrefix(),
      KILN_DATA_DIR: dataDir,
      KILN_SECRET_KEY: generateKey(),
      KILN_LOG_LEVEL: 'silent',
      KILN_MIGRATE_ON_START: 'false',
    };
    // As on a fresh database: no admin yet.
    await gw.prisma.user.deleteMany({});
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const start = async () => {
        const config = loadConfig(env);
        return (
          await startService(AppModule.forRoot(config), {
            port: 0,
            host: '127.0.0.1',
            configure: (a) => configureGateway(a, config),
          })
        ).app;
      };
      const first = await start();
      await first.close();
      const second = await start();
      const lines = printed
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('Admin token: '));
      expect(lines).toHaveLength(1);
      const token = lines[0]!.slice('Admin token: '.length);
      const me = await request(second.getHttpServer()).get('/api/me').set(bearer(token));
      expect(me.body).toMatchObject({ name: 'admin', is_admin: true });
      await second.close();
    } finally {
      write.mockRestore();
      rmSync(dataDir, { recursive: true, force: true });
      await gw.stop();
    }
  });

  it('replaces the previous KILN_ADMIN_TOKEN when the variable changes', async () => {
    const gw = await startGateway();
    const rotated = generateApiToken();
    const config = loadConfig({
      DATABASE_URL: gw.db.url,
      NATS_URL: process.env.NATS_URL,
      KILN_NATS_PREFIX: gw.prefix,
      KILN_DATA_DIR: gw.dataDir,
      KILN_SECRET_KEY: generateKey(),
      KILN_ADMIN_TOKEN: rotated,
      KILN_LOG_LEVEL: 'silent',
      KILN_MIGRATE_ON_START: 'false',
    });
    const { app } = await startService(AppModule.forRoot(config), {
      port: 0,
      host: '127.0.0.1',
      configure: (a) => configureGateway(a, config),
    });
    try {
      expect((await request(app.getHttpServer()).get('/api/me').set(bearer(rotated))).status).toBe(200);
      const old = await request(app.getHttpServer()).get('/api/me').set(bearer(gw.admin.token));
      expect(old.status).toBe(401);
      expect(old.body.message).toBe('API token was revoked');
    } finally {
      await app.close();
      await gw.stop();
    }
  });
});
