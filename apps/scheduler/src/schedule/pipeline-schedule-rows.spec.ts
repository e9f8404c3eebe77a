import { Pipeline, PrismaService } from '@kiln/db';
import { createZonedDatabase, ZonedDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { claimDueSchedule, dueSchedules, markScheduleRead, syncSchedule, unreadSchedules } from './pipeline-schedule-rows';

const at = (iso: string) => new Date(iso);

describe('the cron sweep\'s statements on the pg pool (real PostgreSQL)', () => {
  let database: ZonedDatabase;
  let prisma: PrismaService;
  // The statements run in a session whose zone is not UTC: a `timestamp` written carelessly shows it.
  let pool: PrismaService['pool'];
  let stJohns: PrismaService;

  beforeAll(async () => {
    database = await createZonedDatabase();
    ({ prisma, zoned: stJohns } = database);
    pool = stJohns.pool;
  });

  afterAll(() => database?.close());

  /** Two pipelines alike in their own projects: one for Prisma's statement, one for the pool's. */
  async function twins(fields: Partial<Pipeline> = {}): Promise<[Pipeline, Pipeline]> {
    const one = async () => {
      const project = await prisma.project.create({
        data: { name: `p-${randomUUID().slice(0, 8)}`, repoUrl: 'https://example.com/r.git', provider: 'github', defaultBranch: 'trunk' },
      });
      // Apart by a few milliseconds, so ordering by updated_at has no ties to break.
      await new Promise((resolve) => setTimeout(resolve, 3));
      return prisma.pipeline.create({ data: { projectId: project.id, name: 'ci', ...fields } });
    };
    return [await one(), await one()];
  }

  const reread = (id: string) => prisma.pipeline.findUniqueOrThrow({ where: { id } });
  /** The schedule columns; `updated_at` is Prisma's own clock on its side, so it is compared apart. */
  const schedule = ({ scheduleCron, nextScheduleAt, scheduleReadAt }: Pipeline) => ({ scheduleCron, nextScheduleAt, scheduleReadAt });

  it('sets a changed cron and its next fire time as Prisma did, and leaves an unchanged one alone', async () => {
    const [viaPrisma, viaPool] = await twins({ scheduleCron: '0 * * * *', nextScheduleAt: at('2026-12-06T11:00:00.000Z') });
    const change = { cron: '*/5 * * * *', nextScheduleAt: at('2026-12-06T10:05:00.000Z') };
    await prisma.pipeline.update({ where: { id: viaPrisma.id }, data: { scheduleCron: change.cron, nextScheduleAt: change.nextScheduleAt } });
    expect(await syncSchedule(pool, viaPool.id, change, new Date())).toBe(true);
    const [afterPrisma, afterPool] = [await reread(viaPrisma.id), await reread(viaPool.id)];
    expect(schedule(afterPool)).toEqual(schedule(afterPrisma));
    expect(afterPool.updatedAt.getTime()).toBeGreaterThan(viaPool.updatedAt.getTime());

    expect(await syncSchedule(pool, viaPool.id, change, new Date(Date.now() + 60_000))).toBe(false);
    expect(await reread(viaPool.id)).toEqual(afterPool);
    expect(await syncSchedule(pool, viaPool.id, { cron: null, nextScheduleAt: null }, new Date())).toBe(true);
    expect(schedule(await reread(viaPool.id))).toEqual({ scheduleCron: null, nextScheduleAt: null, scheduleReadAt: null });
  });

  it('lists unread repository schedules as Prisma did, least recently changed first, and records a read only on an unchanged row', async () => {
    const [first, second] = await twins();
    await twins({ yamlConfig: 'pipeline: {}' });
    await twins({ scheduleReadAt: at('2026-12-06T09:00:00.000Z') });
    await twins({ deletedAt: at('2026-12-06T09:00:00.000Z') });
    const expected = await prisma.pipeline.findMany({
      where: { yamlConfig: null, scheduleReadAt: null, deletedAt: null },
      include: { project: true },
      orderBy: { updatedAt: 'asc' },
      take: 10,
    });
    const unread = await unreadSchedules(pool, 10);
    expect(unread.map(({ version: _version, ...p }) => p)).toEqual(
      expected.map((p) => ({
        id: p.id,
        configPath: p.configPath,
        scheduleCron: p.scheduleCron,
        project: { id: p.project.id, repoUrl: p.project.repoUrl, defaultBranch: p.project.defaultBranch },
      })),
    );
    expect(unread.map((p) => p.id).filter((id) => id === first.id || id === second.id)).toEqual([first.id, second.id]);

    const now = at('2026-12-06T10:00:00.123Z');
    const change = { cron: '0 3 * * *', nextScheduleAt: at('2026-12-07T03:00:00.000Z') };
    const readFirst = unread.find((p) => p.id === first.id)!;
    await prisma.pipeline.updateMany({
      where: { id: second.id, updatedAt: second.updatedAt },
      data: { scheduleReadAt: now, scheduleCron: change.cron, nextScheduleAt: change.nextScheduleAt },
    });
    expect(await markScheduleRead(pool, readFirst, now, change)).toBe(true);
    const [afterPool, afterPrisma] = [await reread(first.id), await reread(second.id)];
    expect(schedule(afterPool)).toEqual(schedule(afterPrisma));
    expect(schedule(afterPool)).toEqual({ scheduleCron: '0 3 * * *', nextScheduleAt: change.nextScheduleAt, scheduleReadAt: now });
    expect(afterPool.updatedAt).toEqual(now);
    // The row changed since it was listed: nothing is recorded.
    expect(await markScheduleRead(pool, readFirst, new Date(), { cron: null, nextScheduleAt: null })).toBe(false);
    expect(await reread(first.id)).toEqual(afterPool);
  });

  it('records a read without a change keeping the cron', async () => {
    const [pipeline] = await twins({ scheduleCron: '0 * * * *', nextScheduleAt: at('2026-12-06T11:00:00.000Z') });
    const listed = (await unreadSchedules(pool, 100)).find((p) => p.id === pipeline.id)!;
    const now = at('2026-12-06T10:30:00.001Z');
    expect(await markScheduleRead(pool, listed, now)).toBe(true);
    expect(schedule(await reread(pipeline.id))).toEqual({
      scheduleCron: '0 * * * *',
      nextScheduleAt: at('2026-12-06T11:00:00.000Z'),
      scheduleReadAt: now,
    });
  });

  it('lists due schedules as Prisma did and lets one claim each fire time', async () => {
    const [due, alsoDue] = await twins({ scheduleCron: '*/5 * * * *', nextScheduleAt: at('2026-12-06T09:55:00.001Z') });
    await twins({ scheduleCron: '*/5 * * * *', nextScheduleAt: at('2026-12-06T10:05:00.000Z') });
    await twins({ scheduleCron: null, nextScheduleAt: at('2026-12-06T09:00:00.000Z') });
    await twins({ scheduleCron: '*/5 * * * *', nextScheduleAt: at('2026-12-06T09:00:00.000Z'), deletedAt: at('2026-12-06T09:00:00.000Z') });
    const now = at('2026-12-06T10:00:00.000Z');
    const expected = await prisma.pipeline.findMany({
      where: { nextScheduleAt: { lte: now }, scheduleCron: { not: null }, deletedAt: null },
      include: { project: true },
      take: 100,
    });
    const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    const listed = byId(await dueSchedules(pool, now, 100));
    expect(listed).toEqual(
      byId(expected).map((p) => ({
        id: p.id,
        projectId: p.projectId,
        scheduleCron: p.scheduleCron,
        nextScheduleAt: p.nextScheduleAt,
        defaultBranch: p.project.defaultBranch,
      })),
    );
    expect(listed.map((p) => p.id)).toEqual([due.id, alsoDue.id].sort());

    const next = at('2026-12-06T10:05:00.000Z');
    const mine = listed.find((p) => p.id === due.id)!;
    const [first, second] = await Promise.all([claimDueSchedule(pool, mine, next, now), claimDueSchedule(pool, mine, next, now)]);
    expect([first, second].sort()).toEqual([false, true]);
    const claimed = await reread(due.id);
    expect(claimed.nextScheduleAt).toEqual(next);
    expect(claimed.updatedAt).toEqual(now);
    expect((await dueSchedules(pool, now, 100)).map((p) => p.id)).toEqual([alsoDue.id]);
  });
});
