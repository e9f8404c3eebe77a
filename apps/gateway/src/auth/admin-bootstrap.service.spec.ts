import { generateApiToken, generateKey, hashToken } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { createTestDatabase, TestDatabase } from '@kiln/testing';
import { loadConfig } from '../config';
import { SCOPES } from './actor';
import { AdminBootstrapService } from './admin-bootstrap.service';

describe('AdminBootstrapService (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let printed: string[];
  const replicas: PrismaService[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.onModuleDestroy();
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  beforeEach(async () => {
    // As on a fresh database: no user, no token.
    await prisma.user.deleteMany({});
    printed = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
  });

  afterEach(() => jest.restoreAllMocks());

  /** A gateway's bootstrap, on its own pool like a replica's when `own` is set. */
  async function start(adminToken?: string, own = false): Promise<void> {
    const config = loadConfig({
      DATABASE_URL: db.url,
      KILN_DATA_DIR: '/nonexistent-kiln-data',
      KILN_SECRET_KEY: generateKey(),
      ...(adminToken ? { KILN_ADMIN_TOKEN: adminToken } : {}),
    });
    let client = prisma;
    if (own) {
      client = new PrismaService({ url: db.url });
      replicas.push(client);
    }
    await new AdminBootstrapService(client, config).onApplicationBootstrap();
  }

  const printedTokens = () =>
    printed
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('Admin token: '))
      .map((line) => line.slice('Admin token: '.length));

  it('creates the admin with a generated token with every scope, printed once, and nothing on the next start', async () => {
    const before = Date.now();
    await start();
    await start();
    const tokens = printedTokens();
    expect(tokens).toHaveLength(1);
    const users = await prisma.user.findMany({ include: { tokens: true } });
    expect(users).toHaveLength(1);
    const [admin] = users;
    expect(admin).toMatchObject({
      name: 'admin',
      email: 'admin@kiln.local',
      isAdmin: true,
      disabledAt: null,
    });
    // Written as UTC: Prisma reads back the instant of the start.
    expect(admin!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(admin!.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(admin!.tokens).toEqual([
      {
        id: expect.any(String),
        userId: admin!.id,
        name: 'bootstrap',
        prefix: tokens[0]!.slice(0, 12),
        tokenHash: hashToken(tokens[0]!),
        scopes: [...SCOPES],
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
        createdAt: expect.any(Date),
      },
    ]);
  });

  it('registers KILN_ADMIN_TOKEN once, and a changed one replaces it', async () => {
    const first = generateApiToken();
    await start(first);
    await start(first);
    const second = generateApiToken();
    await start(second);
    expect(printedTokens()).toEqual([]);
    const tokens = await prisma.apiToken.findMany({ orderBy: { createdAt: 'asc' } });
    expect(tokens.map((t) => [t.tokenHash, t.name, t.scopes, t.revokedAt === null])).toEqual([
      [hashToken(first), 'KILN_ADMIN_TOKEN', [...SCOPES], false],
      [hashToken(second), 'KILN_ADMIN_TOKEN', [...SCOPES], true],
    ]);
    expect(tokens[0]!.revokedAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(tokens[0]!.revokedAt!.getTime()).toBeGreaterThanOrEqual(tokens[1]!.createdAt.getTime());
  });

  it('leaves a KILN_ADMIN_TOKEN it knows as it is, even revoked, and gives an existing admin the token', async () => {
    const admin = await prisma.user.create({
      data: { name: 'root', email: 'root@example.com', isAdmin: true },
    });
    const given = generateApiToken();
    await start(given);
    const registered = await prisma.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(given) } });
    expect(registered.userId).toBe(admin.id);
    await prisma.apiToken.update({ where: { id: registered.id }, data: { revokedAt: new Date() } });
    await start(given);
    expect(await prisma.apiToken.findMany()).toEqual([{ ...registered, revokedAt: expect.any(Date) }]);
    expect(await prisma.user.count()).toBe(1);
  });

  it('creates one admin and one token when several gateways start at once', async () => {
    await Promise.all([1, 2, 3, 4].map(() => start(undefined, true)));
    expect(printedTokens()).toHaveLength(1);
    expect(await prisma.user.count()).toBe(1);
    expect(await prisma.apiToken.count()).toBe(1);

    await prisma.user.deleteMany({});
    const given = generateApiToken();
    await Promise.all([1, 2, 3].map(() => start(given, true)));
    expect(await prisma.user.count()).toBe(1);
    expect(await prisma.apiToken.findMany({ select: { tokenHash: true, revokedAt: true } })).toEqual([
      { tokenHash: hashToken(given), revokedAt: null },
    ]);
  });

  it('fails the start and writes nothing when the admin cannot be created, its connection still usable', async () => {
    await prisma.user.create({ data: { name: 'not an admin', email: 'admin@kiln.local' } });
    await expect(start()).rejects.toThrow(/users_email_key/);
    expect(printedTokens()).toEqual([]);
    expect(await prisma.apiToken.count()).toBe(0);
    // The pool hands out the connection released last: it is out of the failed transaction.
    expect((await prisma.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
