import { PrismaService } from '@kiln/db';
import { createZonedDatabase, ZonedDatabase } from '@kiln/testing';
import { ExecutorHeartbeatRow, storeHeartbeat } from './executor-rows';

const at = (iso: string) => new Date(iso);

describe('an executor\'s heartbeat on the pg pool (real PostgreSQL)', () => {
  let database: ZonedDatabase;
  let prisma: PrismaService;
  // Written in a session whose zone is not UTC: a `timestamp` written carelessly shows it.
  let stJohns: PrismaService;

  beforeAll(async () => {
    database = await createZonedDatabase();
    ({ prisma, zoned: stJohns } = database);
  });

  afterAll(() => database?.close());

  /** What the heartbeat consumer did through Prisma before: a guarded update, else an insert. */
  async function storeViaPrisma({ id, ...fields }: ExecutorHeartbeatRow): Promise<void> {
    const updated = await prisma.executor.updateMany({ where: { id, lastHeartbeatAt: { lt: fields.lastHeartbeatAt } }, data: fields });
    if (updated.count === 0) await prisma.executor.upsert({ where: { id }, create: { id, ...fields }, update: {} });
  }

  const heartbeat = (id: string, sentAt: string, fields: Partial<ExecutorHeartbeatRow> = {}): ExecutorHeartbeatRow => ({
    id,
    backend: 'local',
    hostname: 'host-1',
    capacity: 4,
    running: 1,
    runningSteps: ['step-a:1'],
    version: '1.2.3',
    startedAt: at('2026-12-06T09:00:00.001Z'),
    lastHeartbeatAt: at(sentAt),
    ...fields,
  });

  /** The same heartbeats stored both ways under two ids; the rows read back without their ids. */
  async function bothWays(beats: ((id: string) => ExecutorHeartbeatRow)[]) {
    const suffix = Math.random().toString(36).slice(2);
    for (const beat of beats) {
      await storeViaPrisma(beat(`prisma-${suffix}`));
      await storeHeartbeat(stJohns.pool, beat(`pool-${suffix}`));
    }
    const read = async (id: string) => {
      const { id: _id, ...row } = await prisma.executor.findUniqueOrThrow({ where: { id } });
      return row;
    };
    return { viaPrisma: await read(`prisma-${suffix}`), viaPool: await read(`pool-${suffix}`) };
  }

  it('registers a new executor as Prisma did', async () => {
    const { viaPrisma, viaPool } = await bothWays([(id) => heartbeat(id, '2026-12-06T10:00:00.123Z', { runningSteps: [] })]);
    expect(viaPool).toEqual(viaPrisma);
    expect(viaPool).toMatchObject({ runningSteps: [], lastHeartbeatAt: at('2026-12-06T10:00:00.123Z') });
  });

  it('takes a newer heartbeat and keeps it over an older one delivered late, as Prisma did', async () => {
    const { viaPrisma, viaPool } = await bothWays([
      (id) => heartbeat(id, '2026-12-06T10:00:00.000Z'),
      (id) => heartbeat(id, '2026-12-06T10:00:05.500Z', { running: 2, runningSteps: ['step-a:1', 'step-b:2'], hostname: 'host-2' }),
      (id) => heartbeat(id, '2026-12-06T10:00:03.000Z', { running: 0, runningSteps: [] }),
    ]);
    expect(viaPool).toEqual(viaPrisma);
    expect(viaPool).toMatchObject({ running: 2, runningSteps: ['step-a:1', 'step-b:2'], hostname: 'host-2', lastHeartbeatAt: at('2026-12-06T10:00:05.500Z') });
  });

  it('stores each executor once when its first heartbeats arrive together', async () => {
    const beats = [1, 2, 3, 4].map((n) => heartbeat('together', `2026-12-06T10:00:0${n}.000Z`, { running: n }));
    await Promise.all(beats.map((beat) => storeHeartbeat(stJohns.pool, beat)));
    expect(await prisma.executor.findMany({ where: { id: 'together' } })).toEqual([
      expect.objectContaining({ running: 4, lastHeartbeatAt: at('2026-12-06T10:00:04.000Z') }),
    ]);
  });
});
