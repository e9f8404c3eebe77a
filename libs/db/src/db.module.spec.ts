import { Test } from '@nestjs/testing';
import { DbModule } from './db.module';
import { PrismaService } from './prisma.service';
import { createScratchDatabase, ScratchDatabase } from './scratch-database.spec-helper';

describe('DbModule', () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await createScratchDatabase();
  });

  afterAll(() => db.drop());

  it('migrates on start-up when asked, answers ping and disconnects on close', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRoot({ url: db.url, poolMax: 2, migrate: true })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const prisma = app.get(PrismaService);

    await expect(prisma.ping()).resolves.toBeUndefined();
    expect(await prisma.user.count()).toBe(0);

    await app.close();
    // A closed connection's server process leaves pg_stat_activity a moment after the client let go.
    const others = async () =>
      (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )
      )[0].n;
    let sessions = await others();
    for (const deadline = Date.now() + 5000; sessions > 0 && Date.now() < deadline; sessions = await others())
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sessions).toBe(0);
  });

  it('takes its options from a factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRootAsync({ useFactory: () => ({ url: db.url, migrate: true }) })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();

    await expect(app.get(PrismaService).ping()).resolves.toBeUndefined();
    await app.close();
  });

  it('has PostgreSQL end a statement or an idle transaction that outlasts statementTimeoutMs', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRoot({ url: db.url, poolMax: 2, migrate: true, statementTimeoutMs: 300 })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const prisma = app.get(PrismaService);
    try {
      await expect(prisma.pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
      await expect(prisma.$queryRaw`SELECT pg_sleep(5)`).rejects.toThrow(/statement timeout/);
      // The connections stay usable.
      expect((await prisma.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(await prisma.user.count()).toBe(0);

      // A transaction left idle is ended, with its locks: another session can take them.
      const client = await prisma.pool.connect();
      const cut = new Promise<Error>((resolve) => client.once('error', resolve));
      await client.query('BEGIN; SELECT pg_advisory_xact_lock(42)');
      await expect(cut).resolves.toMatchObject({ message: expect.stringMatching(/idle-in-transaction/) });
      client.release(true);
      expect((await prisma.pool.query('SELECT pg_try_advisory_xact_lock(42) AS got')).rows).toEqual([
        { got: true },
      ]);
    } finally {
      await app.close();
    }
  });

  it('does not start when its database does not exist', async () => {
    const missing = new URL(db.url);
    missing.pathname = `/${missing.pathname.slice(1)}_missing`;
    const moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRoot({ url: missing.toString(), poolMax: 1, migrate: false })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });

    await expect(app.init()).rejects.toThrow(/does not exist/);
    // Releases the pool of the app that failed to start; its own failure is not what is tested.
    await app.close().catch(() => undefined);
  });
});
