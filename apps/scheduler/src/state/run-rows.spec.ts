import { PrismaService } from '@kiln/db';
import { Changes } from '@kiln/engine';
import { createRunRows, createTestDatabase, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { PoolClient } from 'pg';
import { admissibleQueuedRuns, mayStart } from './run-admission';
import { beginWithRun } from './run-rows';
import { writeChanges } from './run-writes';

const at = (iso: string) => new Date(iso);

describe('the writer\'s own SQL (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
  });

  afterAll(async () => {
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  /** The run as the writer reads it, in a transaction of its own. */
  async function read(runId: string) {
    const client = await prisma.pool.connect();
    try {
      const locked = await beginWithRun(client, runId);
      await client.query('COMMIT');
      return locked;
    } finally {
      client.release();
    }
  }

  /** Runs `work` in a transaction on one of the pool's connections, like the writer. */
  async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await prisma.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } finally {
      client.release();
    }
  }

  /** A run with every column set (dates with milliseconds, JSON, a bigint past 2^53) and two steps. */
  async function fullRun(): Promise<string> {
    const { projectId, runId } = await createRunRows(prisma);
    await prisma.project.update({ where: { id: projectId }, data: { concurrencyLimit: 3 } });
    await prisma.run.update({
      where: { id: runId },
      data: {
        status: 'running',
        branch: 'main',
        tag: null,
        commitSha: 'a'.repeat(40),
        commitMessage: 'Fix: ünïcode \u2603 and "quotes"',
        commitAuthor: 'Ann <ann@example.com>',
        pullRequestUrl: 'https://example.com/pr/1',
        definition: { version: 1, failFast: true, steps: [{ name: 'build', nested: { list: [1, 2.5, null, 'x'] } }] },
        error: 'earlier trouble',
        deliveryId: '00000000-0000-4000-8000-000000000001',
        fromFork: true,
        secretsWithheld: 'from a fork',
        startedAt: at('2026-12-06T10:00:00.123Z'),
        lastProgressAt: at('2026-12-06T10:00:01.999Z'),
        deadlineAt: at('2027-01-01T00:00:00.001Z'),
      },
    });
    await prisma.step.create({
      data: {
        runId,
        name: 'build',
        position: 0,
        image: 'alpine:3.20',
        commands: ['echo one', 'echo "two"'],
        status: 'succeeded',
        exitCode: 0,
        signal: 'SIGTERM',
        error: 'none',
        attempt: 2,
        executorId: 'exec-1',
        sandboxName: 'sandbox-1',
        imageDigest: 'alpine@sha256:' + 'b'.repeat(64),
        logRef: 'logs/build.log',
        logBytes: 9_007_199_254_740_993n,
        deploy: true,
        timeoutMs: 60_000,
        reusedFrom: '00000000-0000-4000-8000-000000000002',
        queuedAt: at('2026-12-06T10:00:00.001Z'),
        startedAt: at('2026-12-06T10:00:00.500Z'),
        finishedAt: at('2026-12-06T10:00:02.250Z'),
        durationMs: 1750,
      },
    });
    await prisma.step.create({
      data: { runId, name: 'test', position: 1, image: 'node:20', commands: [], dependsOn: ['build'] },
    });
    return runId;
  }

  it('reads a run and its steps exactly as Prisma reads them', async () => {
    const runId = await fullRun();
    const viaPrisma = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: { orderBy: { position: 'asc' } } } });
    const locked = await read(runId);
    expect(locked).toEqual({ run: viaPrisma, projectLimit: 3 });
    expect(locked?.run.steps[0].logBytes).toBe(9_007_199_254_740_993n);
    expect(locked?.run.startedAt).toBeInstanceOf(Date);
  });

  it('reads the same in another time zone', async () => {
    const runId = await fullRun();
    const viaPrisma = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: { orderBy: { position: 'asc' } } } });
    const client = await prisma.pool.connect();
    try {
      // What the server's session zone would do to a careless `timestamp` read.
      await client.query("SET TIME ZONE 'America/St_Johns'");
      const locked = await beginWithRun(client, runId);
      await client.query('COMMIT');
      expect(locked?.run).toEqual(viaPrisma);
    } finally {
      await client.query('RESET TIME ZONE');
      client.release();
    }
  });

  it('answers null for a run that does not exist, and refuses an id that is not a UUID', async () => {
    expect(await read('00000000-0000-4000-8000-0000000000ff')).toBeNull();
    await expect(read("x'; DROP TABLE runs; --")).rejects.toThrow('not a run id');
    expect(await prisma.run.count()).toBeGreaterThan(0);
  });

  it('holds the run locked until the transaction ends', async () => {
    const runId = await fullRun();
    const holder = await prisma.pool.connect();
    try {
      await beginWithRun(holder, runId);
      const blocked = prisma.pool.query(`UPDATE runs SET error = 'second writer' WHERE id = $1`, [runId]);
      const first = await Promise.race([blocked.then(() => 'second writer'), new Promise((resolve) => setTimeout(() => resolve('lock held'), 300))]);
      expect(first).toBe('lock held');
      await holder.query("UPDATE runs SET error = 'first writer' WHERE id = $1", [runId]);
      await holder.query('COMMIT');
      await blocked;
    } finally {
      holder.release();
    }
    expect((await prisma.run.findUniqueOrThrow({ where: { id: runId } })).error).toBe('second writer');
  });

  it('writes guarded changes that Prisma reads back as written, and skips rows whose guard no longer holds', async () => {
    const runId = await fullRun();
    const steps = await prisma.step.findMany({ where: { runId }, orderBy: { position: 'asc' } });
    const [build, test] = steps;
    const changes: Changes = {
      run: { from: { status: 'running' }, set: { status: 'succeeded', error: null, finishedAt: at('2026-12-06T11:00:00.007Z') } },
      steps: [
        { id: build.id, from: { status: 'succeeded', attempt: 2 }, set: { logRef: 'logs/other.log', logBytes: 12_345_678_901_234_567n, durationMs: null } },
        // A guard that no longer holds: the step is pending, not running.
        { id: test.id, from: { status: 'running', attempt: 1 }, set: { status: 'failed', exitCode: 1 } },
      ],
    };
    await inTransaction((client) => writeChanges(client, runId, changes));
    const after = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: { orderBy: { position: 'asc' } } } });
    expect(after).toMatchObject({ status: 'succeeded', error: null, finishedAt: at('2026-12-06T11:00:00.007Z') });
    expect(after.steps[0]).toEqual({ ...build, logRef: 'logs/other.log', logBytes: 12_345_678_901_234_567n, durationMs: null });
    expect(after.steps[1]).toEqual(test);
  });

  it('writes several steps that change alike in one statement, queued at one time', async () => {
    const { runId } = await createRunRows(prisma);
    const steps = await Promise.all(
      ['a', 'b', 'c'].map((name, position) => prisma.step.create({ data: { runId, name, position, image: 'alpine', commands: [] } })),
    );
    const queuedAt = at('2026-12-06T12:34:56.789Z');
    await inTransaction((client) =>
      writeChanges(client, runId, {
        run: { from: { status: 'queued' }, set: { status: 'running', startedAt: queuedAt, lastProgressAt: queuedAt } },
        steps: steps.slice(0, 2).map((s) => ({ id: s.id, from: { status: 'pending', attempt: 1 }, set: { status: 'queued', queuedAt } })),
      }),
    );
    const after = await prisma.step.findMany({ where: { runId }, orderBy: { position: 'asc' } });
    expect(after.map((s) => [s.status, s.queuedAt])).toEqual([['queued', queuedAt], ['queued', queuedAt], ['pending', null]]);
    expect(await prisma.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: 'running', startedAt: queuedAt });
  });

  it('leaves a field set to undefined as it is, as Prisma does, and writes nothing for a change of nothing else', async () => {
    const runId = await fullRun();
    const [build] = await prisma.step.findMany({ where: { runId }, orderBy: { position: 'asc' } });
    await inTransaction((client) =>
      writeChanges(client, runId, {
        run: { from: { status: 'running' }, set: { error: undefined } },
        steps: [{ id: build.id, from: { status: 'succeeded', attempt: 2 }, set: { logRef: 'logs/again.log', signal: undefined } }],
      }),
    );
    const after = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: { orderBy: { position: 'asc' } } } });
    expect(after.error).toBe('earlier trouble');
    expect(after.steps[0]).toMatchObject({ logRef: 'logs/again.log', signal: 'SIGTERM' });
  });

  describe('admission', () => {
    /** A project with `limit` and runs in the given statuses, created a minute apart from `minute` on. */
    async function project(limit: number | null, statuses: ('queued' | 'running')[], minute = 0): Promise<string[]> {
      const { projectId, runId } = await createRunRows(prisma);
      await prisma.run.delete({ where: { id: runId } });
      await prisma.project.update({ where: { id: projectId }, data: { concurrencyLimit: limit } });
      const pipeline = await prisma.pipeline.findFirstOrThrow({ where: { projectId } });
      const ids: string[] = [];
      for (const [i, status] of statuses.entries()) {
        const run = await prisma.run.create({
          data: {
            id: randomUUID(),
            projectId,
            pipelineId: pipeline.id,
            number: i + 1,
            trigger: 'manual',
            triggeredBy: 'tester',
            event: 'manual',
            gitRef: 'main',
            status,
            createdAt: new Date(Date.UTC(2020, 0, 1, 0, minute + i)),
          },
        });
        ids.push(run.id);
      }
      return ids;
    }

    // Admission counts every run in the database: each test starts without any.
    beforeEach(async () => {
      await prisma.run.deleteMany({});
    });

    it('admits the oldest queued runs of a project up to its limit, and all of them once the limit is gone', async () => {
      const [, first, second, third] = await project(2, ['running', 'queued', 'queued', 'queued']);
      expect(await admissibleQueuedRuns(prisma.pool, 0, 20)).toEqual([first]);
      expect(await inTransaction((client) => mayStart(client, first, { maxActive: 0, projectLimit: 2 }))).toBe(true);
      expect(await inTransaction((client) => mayStart(client, second, { maxActive: 0, projectLimit: 2 }))).toBe(false);
      await prisma.project.updateMany({ data: { concurrencyLimit: null } });
      expect(await admissibleQueuedRuns(prisma.pool, 0, 20)).toEqual([first, second, third]);
      expect(await inTransaction((client) => mayStart(client, third, { maxActive: 0, projectLimit: null }))).toBe(true);
    });

    it('counts the runs of every project against the global limit, and only its own against a project limit', async () => {
      const [, mineQueued] = await project(1, ['running', 'queued']);
      const [otherQueued] = await project(null, ['queued'], 10);
      // Global limit 3: one running, and both queued runs fit in the two slots left, except that
      // the first project's own limit of 1 is full.
      expect(await admissibleQueuedRuns(prisma.pool, 3, 20)).toEqual([otherQueued]);
      expect(await inTransaction((client) => mayStart(client, otherQueued, { maxActive: 3, projectLimit: null }))).toBe(true);
      expect(await inTransaction((client) => mayStart(client, mineQueued, { maxActive: 3, projectLimit: 1 }))).toBe(false);
      // Global limit 2: the other project's run is now behind the first project's queued run.
      expect(await admissibleQueuedRuns(prisma.pool, 2, 20)).toEqual([]);
    });

    it('looks at no more than it is asked to, and answers nothing when nothing is queued', async () => {
      expect(await admissibleQueuedRuns(prisma.pool, 0, 20)).toEqual([]);
      const [, a, b] = await project(null, ['running', 'queued', 'queued']);
      expect(await admissibleQueuedRuns(prisma.pool, 0, 1)).toEqual([a]);
      expect(await admissibleQueuedRuns(prisma.pool, 0, 2)).toEqual([a, b]);
    });
  });
});
