import { PrismaService, StepStatus } from '@kiln/db';
import { createRunRows, createZonedDatabase, ZonedDatabase } from '@kiln/testing';
import { overdueRuns, runningSteps, waitingApprovals } from './watchdog-rows';

const at = (iso: string) => new Date(iso);
const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

describe('the watchdog\'s reads on the pg pool (real PostgreSQL)', () => {
  let database: ZonedDatabase;
  let prisma: PrismaService;
  // The reads in a session whose zone is not UTC: a `timestamp` read or compared carelessly shows it.
  let stJohns: PrismaService;

  beforeAll(async () => {
    database = await createZonedDatabase();
    ({ prisma, zoned: stJohns } = database);
    await rows();
  });

  afterAll(() => database?.close());

  async function step(runId: string, name: string, status: StepStatus, fields: Record<string, unknown> = {}) {
    return prisma.step.create({ data: { runId, name, position: 0, image: 'alpine:3.20', status, ...fields } });
  }

  async function run(status: 'queued' | 'running', fields: Record<string, unknown>) {
    const { runId } = await createRunRows(prisma, status);
    await prisma.run.update({ where: { id: runId }, data: fields });
    return runId;
  }

  /** Steps and runs in every state the sweep tells apart, and two executors. */
  async function rows(): Promise<void> {
    await prisma.executor.create({
      data: {
        id: 'exec-a', backend: 'local', hostname: 'a', capacity: 4, running: 1, runningSteps: ['s:1', 'other:2'], version: '1',
        startedAt: at('2026-12-06T09:00:00.001Z'), lastHeartbeatAt: at('2026-12-06T10:00:00.999Z'),
      },
    });
    await prisma.executor.create({
      data: {
        id: 'exec-b', backend: 'docker', hostname: 'b', capacity: 1, running: 0, runningSteps: [], version: '2',
        startedAt: at('2026-12-06T09:30:00.000Z'), lastHeartbeatAt: at('2026-12-06T09:59:59.123Z'),
      },
    });
    const busy = await run('running', { startedAt: at('2026-12-06T09:00:00.000Z'), lastProgressAt: at('2026-12-06T09:00:00.000Z') });
    await step(busy, 'on-a', 'running', { executorId: 'exec-a', attempt: 2, startedAt: at('2026-12-06T09:10:00.500Z'), timeoutMs: 60_000 });
    await step(busy, 'on-b', 'running', { executorId: 'exec-b', startedAt: at('2026-12-06T09:20:00.250Z') });
    await step(busy, 'on-gone', 'running', { executorId: 'exec-gone', startedAt: null });
    await step(busy, 'unassigned', 'running');
    await step(busy, 'done', 'succeeded', { executorId: 'exec-a', timeoutMs: 1_000 });
    await step(busy, 'approve', 'waiting', { queuedAt: at('2026-12-06T09:59:00.001Z'), timeoutMs: 60_000 });
    await step(busy, 'approve-forever', 'waiting', { queuedAt: at('2026-12-06T09:00:00.000Z') });
    await step(busy, 'approve-unqueued', 'waiting', { timeoutMs: 5_000 });
    // Stalled: running, no progress for long, no step running; then one that made progress just now.
    const stalled = await run('running', { startedAt: at('2026-12-06T09:59:00.000Z'), lastProgressAt: at('2026-12-06T09:40:00.000Z') });
    await step(stalled, 'approve', 'waiting', { queuedAt: at('2026-12-06T09:40:00.000Z'), timeoutMs: 1_200_000 });
    await run('running', { startedAt: at('2026-12-06T09:59:00.000Z'), lastProgressAt: at('2026-12-06T09:59:59.999Z') });
    // Queued and started before the run timeout (re-queued after a start); queued, never started.
    await run('queued', { startedAt: at('2026-12-06T08:00:00.000Z') });
    await run('queued', { startedAt: null });
    const finished = await createRunRows(prisma, 'running');
    await prisma.run.update({
      where: { id: finished.runId },
      data: { status: 'succeeded', startedAt: at('2026-12-06T07:00:00.000Z'), lastProgressAt: at('2026-12-06T07:00:00.000Z') },
    });
  }

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('reads the waiting approvals with a timeout as Prisma did (session zone %s)', async (_zone, client) => {
    const viaPrisma = await prisma.step.findMany({ where: { status: 'waiting', timeoutMs: { not: null } } });
    const viaPool = await waitingApprovals(client().pool);
    expect(byId(viaPool)).toEqual(byId(viaPrisma.map(({ id, runId, queuedAt, timeoutMs }) => ({ id, runId, queuedAt, timeoutMs }))));
    expect(viaPool.map((s) => s.timeoutMs).sort()).toEqual([1_200_000, 5_000, 60_000]);
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('reads the running steps with their executors as Prisma did (session zone %s)', async (_zone, client) => {
    const steps = await prisma.step.findMany({ where: { status: 'running' } });
    const executors = await prisma.executor.findMany({ where: { id: { in: steps.flatMap((s) => (s.executorId ? [s.executorId] : [])) } } });
    const expected = steps.map(({ id, runId, name, attempt, executorId, startedAt, timeoutMs }) => {
      const executor = executors.find((e) => e.id === executorId);
      return {
        id, runId, name, attempt, executorId, startedAt, timeoutMs,
        executor: executor ? { startedAt: executor.startedAt, lastHeartbeatAt: executor.lastHeartbeatAt, runningSteps: executor.runningSteps } : null,
      };
    });
    const viaPool = await runningSteps(client().pool);
    expect(byId(viaPool)).toEqual(byId(expected));
    expect(viaPool.find((s) => s.name === 'on-a')?.executor).toEqual({
      startedAt: at('2026-12-06T09:00:00.001Z'),
      lastHeartbeatAt: at('2026-12-06T10:00:00.999Z'),
      runningSteps: ['s:1', 'other:2'],
    });
    expect(viaPool.find((s) => s.name === 'on-gone')?.executor).toBeNull();
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('finds the runs past their timeout or stalled as Prisma did (session zone %s)', async (_zone, client) => {
    // Run timeout 30 min, stall timeout 10 min, at 10:00.
    const startedBefore = at('2026-12-06T09:30:00.000Z');
    const progressBefore = at('2026-12-06T09:50:00.000Z');
    const viaPrisma = await prisma.run.findMany({
      where: {
        OR: [
          { status: { in: ['queued', 'running'] }, startedAt: { lt: startedBefore } },
          { status: 'running', lastProgressAt: { lt: progressBefore }, steps: { none: { status: 'running' } } },
        ],
      },
      select: { id: true, startedAt: true },
    });
    const viaPool = await overdueRuns(client().pool, startedBefore, progressBefore);
    expect(byId(viaPool)).toEqual(byId(viaPrisma));
    expect(viaPool.map((r) => r.startedAt?.toISOString()).sort()).toEqual([
      '2026-12-06T08:00:00.000Z',
      '2026-12-06T09:00:00.000Z',
      '2026-12-06T09:59:00.000Z',
    ]);
  });
});
