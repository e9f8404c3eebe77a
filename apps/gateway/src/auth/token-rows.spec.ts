import { generateApiToken, hashToken } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { UnauthenticatedError } from '@kiln/errors';
import { createTestDatabase, TestDatabase } from '@kiln/testing';
import { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { AuthService } from './auth.service';
import { PresentedToken, stampLastUsed, tokenByHash } from './token-rows';

const MINUTE = 60_000;

describe("authentication's own SQL (real PostgreSQL)", () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let auth: AuthService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
    auth = new AuthService(prisma);
  });

  afterAll(async () => {
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  interface TokenCase {
    user?: { isAdmin?: boolean; disabledAt?: Date | null };
    token?: { scopes?: string[]; expiresAt?: Date | null; lastUsedAt?: Date | null; revokedAt?: Date | null };
  }

  /** A user and a token of theirs written by Prisma (as the API writes them); answers the token's value. */
  async function tokenOf({ user = {}, token = {} }: TokenCase = {}): Promise<{
    value: string;
    id: string;
    userId: string;
  }> {
    const owner = await prisma.user.create({
      data: { name: `Ann ${randomUUID().slice(0, 6)}`, email: `${randomUUID()}@example.com`, ...user },
    });
    const value = generateApiToken();
    const row = await prisma.apiToken.create({
      data: {
        userId: owner.id,
        name: 'laptop',
        prefix: value.slice(0, 12),
        tokenHash: hashToken(value),
        scopes: ['project:read', 'project:write'],
        ...token,
      },
    });
    return { value, id: row.id, userId: owner.id };
  }

  /** What AuthService read before: Prisma's token with its user, cut to the fields authentication uses. */
  async function viaPrisma(value: string): Promise<PresentedToken | null> {
    const row = await prisma.apiToken.findUnique({
      where: { tokenHash: hashToken(value) },
      include: { user: true },
    });
    if (!row) return null;
    const { id, userId, scopes, expiresAt, lastUsedAt, revokedAt, user } = row;
    return {
      id,
      userId,
      scopes,
      expiresAt,
      lastUsedAt,
      revokedAt,
      user: { name: user.name, isAdmin: user.isAdmin, disabledAt: user.disabledAt },
    };
  }

  function requestWith(headers: Record<string, string>): Request {
    const request: Pick<Request, 'ip'> & { get(name: string): string | undefined } = {
      ip: '203.0.113.7',
      get: (name) => headers[name.toLowerCase()],
    };
    return request as Request;
  }

  const cases: [string, TokenCase][] = [
    ['valid, never used', {}],
    [
      'valid, with an expiry and a last use',
      {
        token: {
          expiresAt: new Date('2099-01-02T03:04:05.678Z'),
          lastUsedAt: new Date('2026-12-06T10:00:00.001Z'),
          scopes: ['project:read', 'admin', 'not-a-scope'],
        },
        user: { isAdmin: true },
      },
    ],
    ['expired', { token: { expiresAt: new Date('2026-01-01T00:00:00.999Z') } }],
    ['revoked', { token: { revokedAt: new Date('2026-12-01T12:30:00.250Z') } }],
    [
      'of a disabled user',
      {
        user: { disabledAt: new Date('2026-11-30T23:59:59.999Z') },
        token: { revokedAt: new Date('2026-11-30T23:59:59.999Z') },
      },
    ],
    ['without scopes', { token: { scopes: [] } }],
  ];

  it.each(cases)('reads a token %s exactly as Prisma reads it', async (_name, tokenCase) => {
    const { value } = await tokenOf(tokenCase);
    const expected = await viaPrisma(value);
    expect(expected).not.toBeNull();
    expect(await tokenByHash(prisma.pool, hashToken(value))).toEqual(expected);
  });

  it('answers null for an unknown token, as Prisma does', async () => {
    const unknown = generateApiToken();
    expect(await viaPrisma(unknown)).toBeNull();
    expect(await tokenByHash(prisma.pool, hashToken(unknown))).toBeNull();
  });

  it('reads a NULL list of scopes as an empty one, as Prisma does', async () => {
    const { value, id } = await tokenOf();
    await prisma.pool.query('UPDATE api_tokens SET scopes = NULL WHERE id = $1', [id]);
    expect((await tokenByHash(prisma.pool, hashToken(value)))?.scopes).toEqual([]);
    expect(await tokenByHash(prisma.pool, hashToken(value))).toEqual(await viaPrisma(value));
  });

  it('reads and writes the same instants when the session is in another time zone', async () => {
    const { value, id } = await tokenOf(cases[1]![1]);
    const zoned = new Pool({ connectionString: db.url, options: '-c TimeZone=America/St_Johns' });
    try {
      expect(await tokenByHash(zoned, hashToken(value))).toEqual(await viaPrisma(value));
      const now = new Date('2026-12-06T17:45:12.345Z');
      expect(await stampLastUsed(zoned, id, now, new Date(now.getTime() - MINUTE))).toBe(true);
      expect((await viaPrisma(value))?.lastUsedAt).toEqual(now);
    } finally {
      await zoned.end();
    }
  });

  it('stamps the last use when there is none or it is a minute old, and only once for concurrent requests', async () => {
    const { value, id } = await tokenOf();
    const now = new Date();
    const staleBefore = new Date(now.getTime() - MINUTE);
    const stamps = await Promise.all([1, 2, 3].map(() => stampLastUsed(prisma.pool, id, now, staleBefore)));
    expect(stamps.filter(Boolean)).toHaveLength(1);
    expect((await viaPrisma(value))?.lastUsedAt).toEqual(now);

    const later = new Date(now.getTime() + 30_000);
    expect(await stampLastUsed(prisma.pool, id, later, new Date(later.getTime() - MINUTE))).toBe(false);
    expect((await viaPrisma(value))?.lastUsedAt).toEqual(now);

    const muchLater = new Date(now.getTime() + MINUTE + 1);
    expect(await stampLastUsed(prisma.pool, id, muchLater, new Date(muchLater.getTime() - MINUTE))).toBe(
      true,
    );
    expect((await viaPrisma(value))?.lastUsedAt).toEqual(muchLater);
  });

  describe('AuthService', () => {
    it('answers the actor of a valid token and records its use once a minute', async () => {
      const { value, id, userId } = await tokenOf(cases[1]![1]);
      const actor = await auth.authenticate(
        requestWith({ authorization: `Bearer ${value}`, 'user-agent': 'curl/8' }),
      );
      expect(actor).toEqual({
        userId,
        userName: expect.stringMatching(/^Ann /),
        tokenId: id,
        scopes: ['project:read', 'admin'],
        tokenExpiresAt: new Date('2099-01-02T03:04:05.678Z'),
        isAdmin: true,
        ip: '203.0.113.7',
        userAgent: 'curl/8',
      });
      const stamped = (await viaPrisma(value))?.lastUsedAt;
      expect(Date.now() - stamped!.getTime()).toBeLessThan(MINUTE);
      await auth.authenticate(requestWith({ 'x-api-key': value }));
      expect((await viaPrisma(value))?.lastUsedAt).toEqual(stamped);
    });

    it('makes an admin without the admin scope a plain user', async () => {
      const { value } = await tokenOf({ user: { isAdmin: true } });
      const actor = await auth.authenticate(requestWith({ 'x-api-key': value }));
      expect(actor).toMatchObject({
        isAdmin: false,
        scopes: ['project:read', 'project:write'],
        tokenExpiresAt: null,
      });
    });

    it.each([
      ['an unknown token', null, 'invalid API token'],
      ['an expired token', cases[2]![1], 'API token expired'],
      ['a revoked token', cases[3]![1], 'API token was revoked'],
      ["a disabled user's token", cases[4]![1], 'the token owner is disabled'],
    ] as const)('refuses %s with its reason and records no use', async (_name, tokenCase, reason) => {
      const { value } = tokenCase ? await tokenOf(tokenCase) : { value: generateApiToken() };
      const before = await viaPrisma(value);
      const refused = auth.authenticate(requestWith({ authorization: `Bearer ${value}` }));
      await expect(refused).rejects.toThrow(UnauthenticatedError);
      await expect(refused).rejects.toThrow(reason);
      expect(await viaPrisma(value)).toEqual(before);
    });
  });
});
