import { RunRequestedEvent } from '@kiln/contracts';
import { Prisma, PrismaService } from '@kiln/db';
import { PipelineDefinition } from '@kiln/definition';
import { createZonedDatabase, ZonedDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { LoadedDefinition } from './definition-loader.service';
import { newRunRow, newStepRows, ReusedStep, RunOrigin } from './new-run';
import { insertRun, NewRunRow, NewStepRow, readRunSource } from './run-creation-rows';
import { isUnstorableValue } from './unstorable-value';

/**
 * What run creation wrote through Prisma before it moved to the pg pool: the project lock, the
 * highest number, `run.create`, `step.createMany` (a new step with the schema's defaults, a reused
 * one with the retried step's results) and the project's activity, in an interactive transaction.
 */
async function createViaPrisma(prisma: PrismaService, run: NewRunRow, steps: readonly NewStepRow[], now: Date): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM projects WHERE id = ${run.projectId}::uuid FOR UPDATE`;
    const { _max } = await tx.run.aggregate({ where: { projectId: run.projectId }, _max: { number: true } });
    await tx.run.create({ data: { ...run, number: (_max.number ?? 0) + 1, definition: run.definition ?? Prisma.DbNull } });
    if (steps.length > 0) {
      await tx.step.createMany({
        data: steps.map(({ status, exitCode, logRef, imageDigest, durationMs, reusedFrom, startedAt, finishedAt, ...step }) => ({
          ...step,
          runId: run.id,
          ...(reusedFrom ? { status, exitCode, logRef, imageDigest, durationMs, reusedFrom, startedAt, finishedAt } : {}),
        })),
      });
    }
    await tx.project.update({ where: { id: run.projectId }, data: { lastActivityAt: now } });
  });
}

const DEFINITION: PipelineDefinition = {
  steps: [
    // Out of order on purpose: positions follow the topological order.
    { name: 'test', image: 'node:20', commands: ['npm test', 'echo "ünïcode \u2603"'], environment: { CI: 'true' }, dependsOn: ['build'], deploy: false },
    { name: 'build', image: 'alpine:3.20', commands: [], environment: {}, dependsOn: [], deploy: false, timeoutMs: 90_000 },
    { name: 'ship', image: 'alpine:3.20', commands: ['./deploy'], environment: {}, dependsOn: ['build', 'test'], deploy: true },
  ],
  artifacts: [],
  on: { push: { branches: ['main'] } },
  failFast: true,
};

/** A run's and its steps' columns as stored (timestamps as their text), without the ones that name the row itself. */
async function storedRows(prisma: PrismaService, runId: string) {
  const { rows: [run] } = await prisma.pool.query<{ row: Record<string, unknown> }>(
    `SELECT to_jsonb(r) - 'id' - 'number' - 'created_at' - 'last_progress_at' AS row FROM runs r WHERE id = $1`,
    [runId],
  );
  const { rows: steps } = await prisma.pool.query<{ row: Record<string, unknown> }>(
    `SELECT to_jsonb(s) - 'id' - 'run_id' AS row FROM steps s WHERE run_id = $1 ORDER BY position`,
    [runId],
  );
  const { rows: [times] } = await prisma.pool.query<{ number: number; created: string; progress: string; projectActive: string; projectUpdated: string }>(
    `SELECT number, created_at::text AS created, last_progress_at::text AS progress,
      (SELECT last_activity_at::text FROM projects WHERE projects.id = runs.project_id) AS "projectActive",
      (SELECT updated_at::text FROM projects WHERE projects.id = runs.project_id) AS "projectUpdated"
    FROM runs WHERE id = $1`,
    [runId],
  );
  return { run: run.row, steps: steps.map((s) => s.row), ...times };
}

/** `timestamp(3)` text read as UTC, in milliseconds. */
const utcMs = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

describe('run creation on the pg pool (real PostgreSQL)', () => {
  let database: ZonedDatabase;
  let prisma: PrismaService;
  // Both paths in a session whose zone is not UTC: a `timestamp` written carelessly shows it.
  let stJohns: PrismaService;

  beforeAll(async () => {
    database = await createZonedDatabase();
    ({ prisma, zoned: stJohns } = database);
  });

  afterAll(() => database?.close());

  async function pipeline(options: { deleted?: boolean } = {}) {
    const project = await prisma.project.create({
      data: { name: `p-${randomUUID().slice(0, 8)}`, repoUrl: 'https://example.com/r.git', provider: 'github', defaultBranch: 'trunk', secretsForForks: true },
    });
    return prisma.pipeline.create({
      data: {
        projectId: project.id,
        name: 'ci',
        yamlConfig: 'pipeline: {}',
        cancelPrevious: true,
        deletedAt: options.deleted ? new Date() : null,
      },
      include: { project: true },
    });
  }

  function request(pipelineId: string, projectId: string, fields: Partial<RunRequestedEvent> = {}): RunRequestedEvent {
    return {
      version: 1,
      runId: randomUUID(),
      projectId,
      pipelineId,
      trigger: 'webhook',
      triggeredBy: 'ann',
      event: 'push',
      gitRef: 'refs/heads/main',
      applyTriggerFilters: true,
      requestedAt: new Date().toISOString(),
      ...fields,
    } as RunRequestedEvent;
  }

  /**
   * Creates the run of `build` through Prisma and through the pg pool (a new id each) in the same
   * project, in `client`'s session, and answers both as stored.
   */
  async function bothWays(client: PrismaService, build: (runId: string, now: Date) => { run: NewRunRow; steps: NewStepRow[] }) {
    const before = Date.now();
    // One `now` for both: what the caller decides (finished_at, the project's activity) is equal.
    const now = new Date();
    const viaPrisma = build(randomUUID(), now);
    await createViaPrisma(client, viaPrisma.run, viaPrisma.steps, now);
    const prismaRows = await storedRows(client, viaPrisma.run.id);
    const viaPool = build(randomUUID(), now);
    await insertRun(client.pool, viaPool.run, viaPool.steps, now);
    const poolRows = await storedRows(client, viaPool.run.id);
    const after = Date.now();
    // What Prisma left to itself (created_at, last_progress_at) is its clock's time, in UTC.
    for (const rows of [prismaRows, poolRows]) {
      for (const stored of [rows.created, rows.progress, rows.projectUpdated]) {
        expect(utcMs(stored)).toBeGreaterThanOrEqual(before);
        expect(utcMs(stored)).toBeLessThanOrEqual(after);
      }
      expect(utcMs(rows.projectActive)).toBe(now.getTime());
    }
    expect(poolRows.number).toBe(prismaRows.number + 1);
    expect(poolRows.created).toBe(poolRows.progress);
    return { prismaRows, poolRows };
  }

  it('reads the run\'s existence and the pipeline with its project in one statement', async () => {
    const p = await pipeline();
    const runId = randomUUID();
    expect(await readRunSource(prisma.pool, runId, p.id)).toEqual({
      runExists: false,
      pipeline: {
        id: p.id,
        projectId: p.projectId,
        yamlConfig: 'pipeline: {}',
        configPath: '.platform.yaml',
        cancelPrevious: true,
        deleted: false,
        repoUrl: p.project.repoUrl,
        defaultBranch: 'trunk',
        secretsForForks: true,
      },
    });
    await insertRun(prisma.pool, newRunRow(request(p.id, p.projectId, { runId }), { ok: false, commitSha: null, error: 'x' }, { fromFork: false }, new Date()), [], new Date());
    expect(await readRunSource(prisma.pool, runId, randomUUID())).toEqual({ runExists: true, pipeline: null });
    const deleted = await pipeline({ deleted: true });
    expect((await readRunSource(prisma.pool, randomUUID(), deleted.id)).pipeline).toMatchObject({ id: deleted.id, deleted: true });
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('writes a queued run with its definition and NULLs as Prisma did (session zone %s)', async (_zone, client) => {
    const p = await pipeline();
    const loaded: LoadedDefinition = { ok: true, commitSha: 'c'.repeat(40), definition: DEFINITION };
    const { prismaRows, poolRows } = await bothWays(client(), (runId, now) => {
      // No branch, tag, author, pull request, delivery or retry: NULLs.
      const r = request(p.id, p.projectId, { runId, commitMessage: 'Fix\tit\n\u001b[2Jnow', variables: { NAME: 'value "quoted"' } });
      return { run: newRunRow(r, loaded, { fromFork: false }, now), steps: newStepRows(DEFINITION, new Map()) };
    });
    expect(poolRows.run).toEqual(prismaRows.run);
    expect(poolRows.steps).toEqual(prismaRows.steps);
    expect(poolRows.run).toMatchObject({ status: 'queued', branch: null, commit_message: 'Fix\tit\n[2Jnow', finished_at: null, definition: expect.objectContaining({ version: 1 }) });
    expect(poolRows.steps.map((s) => [s.name, s.position, s.status, s.commands, s.timeout_ms])).toEqual([
      ['build', 0, 'pending', [], 90_000],
      ['test', 1, 'pending', ['npm test', 'echo "ünïcode \u2603"'], null],
      ['ship', 2, 'pending', ['./deploy'], null],
    ]);
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('writes a retry of a fork\'s run reusing steps as Prisma did (session zone %s)', async (_zone, client) => {
    const p = await pipeline();
    const original = request(p.id, p.projectId, { branch: 'main', tag: 'v1', deliveryId: randomUUID() });
    const now = new Date();
    await insertRun(prisma.pool, newRunRow(original, { ok: true, commitSha: 'd'.repeat(40), definition: DEFINITION }, { fromFork: false }, now), newStepRows(DEFINITION, new Map()), now);
    const build = await prisma.step.update({
      where: { runId_name: { runId: original.runId, name: 'build' } },
      data: {
        status: 'succeeded',
        exitCode: 0,
        logRef: 'logs/build.log',
        imageDigest: 'alpine@sha256:' + 'e'.repeat(64),
        durationMs: 1_250,
        startedAt: new Date('2026-12-06T10:00:00.123Z'),
        finishedAt: new Date('2026-12-06T10:00:01.373Z'),
      },
    });
    const reused = new Map<string, ReusedStep>([['build', build]]);
    const origin: RunOrigin = { fromFork: true, secretsWithheld: 'from a fork' };
    const loaded: LoadedDefinition = { ok: true, commitSha: 'd'.repeat(40), definition: DEFINITION };
    const { prismaRows, poolRows } = await bothWays(client(), (runId, at) => {
      const r = request(p.id, p.projectId, {
        runId, trigger: 'retry', event: 'push', branch: 'main', retryOfId: original.runId, failedOnly: true,
        commitAuthor: 'Ann <ann@example.com>', pullRequestUrl: 'https://example.com/pr/7',
      });
      return { run: newRunRow(r, loaded, origin, at), steps: newStepRows(DEFINITION, reused) };
    });
    expect(poolRows.run).toEqual(prismaRows.run);
    expect(poolRows.steps).toEqual(prismaRows.steps);
    expect(poolRows.steps[0]).toMatchObject({
      status: 'succeeded', reused_from: build.id, started_at: '2026-12-06T10:00:00.123', finished_at: '2026-12-06T10:00:01.373', duration_ms: 1_250,
    });
    expect(poolRows.run).toMatchObject({ retry_of_id: original.runId, from_fork: true, secrets_withheld: 'from a fork' });
  });

  it.each([
    ['UTC', () => prisma],
    ['America/St_Johns', () => stJohns],
  ])('writes a run failed by its definition as Prisma did, definition NULL and finished at once (session zone %s)', async (_zone, client) => {
    const p = await pipeline();
    const { prismaRows, poolRows } = await bothWays(client(), (runId, now) => {
      const r = request(p.id, p.projectId, { runId, trigger: 'manual', event: 'manual', gitRef: 'v2', tag: 'v2' });
      return { run: newRunRow(r, { ok: false, commitSha: null, error: '.platform.yaml not found' }, { fromFork: false }, now), steps: [] };
    });
    expect(poolRows.run).toEqual(prismaRows.run);
    expect(poolRows.steps).toEqual([]);
    expect(poolRows.run).toMatchObject({ status: 'failed', definition: null, error: '.platform.yaml not found' });
    // Finished when created.
    expect(utcMs(poolRows.run.finished_at as string)).toBe(utcMs(poolRows.created));
  });

  it('numbers concurrent creations in one project one after another', async () => {
    const p = await pipeline();
    const runs = Array.from({ length: 8 }, () => {
      const now = new Date();
      return newRunRow(request(p.id, p.projectId), { ok: true, commitSha: 'f'.repeat(40), definition: DEFINITION }, { fromFork: false }, now);
    });
    await Promise.all(runs.map((run) => insertRun(prisma.pool, run, newStepRows(DEFINITION, new Map()), new Date())));
    const numbers = await prisma.run.findMany({ where: { projectId: p.projectId }, select: { number: true }, orderBy: { number: 'asc' } });
    expect(numbers.map((n) => n.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await prisma.step.count({ where: { run: { projectId: p.projectId } } })).toBe(8 * 3);
  });

  it('throws a refusal the consumer recognises for a NUL byte, writes nothing, and stores the cleaned request', async () => {
    const p = await pipeline();
    const nul = request(p.id, p.projectId, { gitRef: 'main\u0000', branch: 'main\u0000' });
    const now = new Date();
    const textRefusal = await insertRun(prisma.pool, newRunRow(nul, { ok: false, commitSha: null, error: 'x' }, { fromFork: false }, now), [], now).catch((e: unknown) => e);
    expect(isUnstorableValue(textRefusal)).toBe(true);
    const withNulCommand: PipelineDefinition = { ...DEFINITION, steps: [{ ...DEFINITION.steps[1], commands: ['echo \u0000'] }] };
    const jsonRefusal = await insertRun(
      prisma.pool,
      newRunRow(request(p.id, p.projectId), { ok: true, commitSha: 'a'.repeat(40), definition: withNulCommand }, { fromFork: false }, now),
      newStepRows(withNulCommand, new Map()),
      now,
    ).catch((e: unknown) => e);
    expect(isUnstorableValue(jsonRefusal)).toBe(true);
    expect(await prisma.run.count({ where: { projectId: p.projectId } })).toBe(0);
    // The project's lock went with the rolled-back transactions: the cleaned request is stored.
    await insertRun(prisma.pool, newRunRow({ ...nul, gitRef: 'main', branch: 'main' }, { ok: false, commitSha: null, error: 'unstorable' }, { fromFork: false }, now), [], now);
    expect(await prisma.run.findUniqueOrThrow({ where: { id: nul.runId } })).toMatchObject({ number: 1, status: 'failed', gitRef: 'main' });
  });
});
