import { PrismaService } from '@kiln/db';
import { createTestDatabase, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { DeliveryLedgerService, NewDelivery } from './delivery-ledger.service';

// The ledger against a real database: claims issued together are written together, and the
// routing version decides whether a claim counts.
describe('DeliveryLedgerService', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let ledger: DeliveryLedgerService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url, poolMax: 4 });
    await prisma.onModuleInit();
    ledger = new DeliveryLedgerService(prisma);
  });
  afterAll(async () => {
    await prisma.onModuleDestroy();
    await db.drop();
  });

  const entry = (deliveryId: string): NewDelivery => ({
    provider: 'github',
    deliveryId,
    event: 'push',
    projectId: null,
    pipelineId: null,
    status: 'accepted',
    reason: `push ${deliveryId}`,
    runId: randomUUID(),
    bodySha256: 'f'.repeat(64),
  });
  const version = async () =>
    (await prisma.webhookRoutingVersion.findUniqueOrThrow({ where: { id: 1 } })).version;
  const stored = (ids: string[]) => prisma.webhookDelivery.count({ where: { deliveryId: { in: ids } } });

  it('writes claims made together in a few statements, each key once, replays with the first row', async () => {
    const ids = Array.from({ length: 50 }, () => `together-${randomUUID()}`);
    const current = String(await version());
    const statements = jest.spyOn(prisma.pool, 'query');

    // Three claims of every id, all issued before the first statement answers.
    const claims = [0, 1, 2].flatMap((copy) =>
      ids.map((id) => ledger.claim(entry(id), copy === 1 ? null : current).then((c) => ({ id, c }))),
    );
    const outcomes = await Promise.all(claims);
    statements.mockRestore();

    expect(statements.mock.calls.length).toBeLessThan(10);
    for (const id of ids) {
      const forId = outcomes.filter((o) => o.id === id).map((o) => o.c);
      expect(forId.every((c) => c !== undefined)).toBe(true);
      expect(forId.filter((c) => !c!.replayed)).toHaveLength(1);
      expect(new Set(forId.map((c) => c!.delivery.id)).size).toBe(1);
      expect(forId[0]!.delivery).toMatchObject({ deliveryId: id, status: 'accepted', reason: `push ${id}` });
      expect(forId[0]!.delivery.receivedAt).toBeInstanceOf(Date);
    }
    expect(await stored(ids)).toBe(ids.length);
  });

  it('answers with the row of a concurrent claim of the same id once that one commits', async () => {
    const id = `concurrent-${randomUUID()}`;
    const current = String(await version());
    // Another replica's statement: inserted, not yet committed.
    const other = await prisma.pool.connect();
    try {
      await other.query('BEGIN');
      const { rows } = await other.query<{ id: string }>(
        `INSERT INTO webhook_deliveries (id, provider, delivery_id, event, status, reason, body_sha256)
         VALUES (gen_random_uuid(), 'github', $1, 'push', 'ignored', 'first', '') RETURNING id`,
        [id],
      );
      const claim = ledger.claim(entry(id), current);
      await new Promise((r) => setTimeout(r, 200));
      await other.query('COMMIT');

      expect(await claim).toMatchObject({ replayed: true, delivery: { id: rows[0].id, reason: 'first' } });
    } finally {
      other.release();
    }
  });

  it('claims nothing with a routing version that is no longer current, and says so', async () => {
    const before = await version();
    await prisma.project.create({
      data: {
        name: `moves-the-version-${randomUUID()}`,
        repoUrl: 'https://example.com/a/b.git',
        provider: 'git',
      },
    });
    expect(await version()).toBe(before + 1n);
    const [fresh, stale] = [`fresh-${randomUUID()}`, `stale-${randomUUID()}`];

    expect(await ledger.claim(entry(stale), String(before))).toBeUndefined();
    expect(await stored([stale])).toBe(0);
    const claimed = await ledger.claim(entry(fresh), String(before + 1n));
    expect(claimed).toMatchObject({ replayed: false, delivery: { deliveryId: fresh } });

    // A replay planned at an old version is not answered from that plan either; without a version it is.
    expect(await ledger.claim(entry(fresh), String(before))).toBeUndefined();
    expect(await ledger.claim(entry(fresh), null)).toEqual({ replayed: true, delivery: claimed!.delivery });
  });

  it('stores the text of a claim as given, quotes, backslashes, braces and any script included', async () => {
    const deliveryId = `text-${randomUUID()}`;
    const reason = 'push to branch "a,b{c}\\d\'e" — 変更 🚀\n\tNULL null';
    const claimed = await ledger.claim({ ...entry(deliveryId), event: 'push "x"', reason }, null);

    expect(claimed).toMatchObject({ replayed: false, delivery: { deliveryId, event: 'push "x"', reason } });
    const { rows } = await prisma.pool.query('SELECT reason FROM webhook_deliveries WHERE delivery_id = $1', [deliveryId]);
    expect(rows).toEqual([{ reason }]);
  });

  describe('a body seen before under another delivery id', () => {
    const projectId = randomUUID();
    const routed = (deliveryId: string, body: string): NewDelivery => ({
      ...entry(deliveryId),
      projectId,
      bodySha256: body,
    });

    it('is answered as a replay of the first delivery and not stored again', async () => {
      const body = randomUUID();
      const first = await ledger.claim(routed(`first-${randomUUID()}`, body), null);
      const again = `again-${randomUUID()}`;
      const second = await ledger.claim(routed(again, body), null);

      expect(first).toMatchObject({ replayed: false });
      expect(second).toEqual({ replayed: true, delivery: first!.delivery });
      expect(await stored([again])).toBe(0);
    });

    it('gives one body claimed under many ids at once to exactly one of them', async () => {
      const body = randomUUID();
      const ids = Array.from({ length: 20 }, () => `burst-${randomUUID()}`);
      const outcomes = await Promise.all(ids.map((id) => ledger.claim(routed(id, body), null)));

      expect(outcomes.filter((o) => !o!.replayed)).toHaveLength(1);
      expect(new Set(outcomes.map((o) => o!.delivery.id)).size).toBe(1);
      expect(await stored(ids)).toBe(1);
    });

    it('is new again once the first claim is more than 24 hours old', async () => {
      const body = randomUUID();
      await ledger.claim(routed(`old-${randomUUID()}`, body), null);
      await prisma.pool.query(
        `UPDATE webhook_body_claims SET claimed_at = now() - interval '25 hours' WHERE body_sha256 = $1`,
        [body],
      );
      const later = await ledger.claim(routed(`later-${randomUUID()}`, body), null);

      expect(later).toMatchObject({ replayed: false });
    });

    it('is the same body only within one project', async () => {
      const body = randomUUID();
      await ledger.claim(routed(`one-${randomUUID()}`, body), null);
      const other = await ledger.claim({ ...routed(`other-${randomUUID()}`, body), projectId: randomUUID() }, null);

      expect(other).toMatchObject({ replayed: false });
    });
  });
});
