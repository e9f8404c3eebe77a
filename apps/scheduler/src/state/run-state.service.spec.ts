import { StepDispatchedEvent } from '@kiln/contracts';
import { generateKey } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { parseDefinition } from '@kiln/definition';
import { EngineEvent } from '@kiln/engine';
import { MessagingService } from '@kiln/messaging';
import { createRunRows, createTestDatabase, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config';
import { StepDispatcherService } from '../dispatch/step-dispatcher.service';
import { RunOutcomeService } from '../outcomes/run-outcome.service';
import { encodeSnapshot } from '../runs/definition-snapshot';
import { RunStateService } from './run-state.service';

const DEFINITION = `pipeline:
  steps:
    - { name: test, image: alpine, commands: ["true"] }
    - { name: lint, image: alpine, commands: ["true"] }
    - { name: deploy, image: alpine, commands: ["true"], depends_on: [test, lint] }
`;

function definition() {
  const parsed = parseDefinition(DEFINITION);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.definition;
}

const finished = (stepId: string): EngineEvent => ({
  type: 'step-finished',
  stepId,
  attempt: 1,
  status: 'succeeded',
  exitCode: 0,
  executorId: 'ex-1',
  finishedAt: new Date(),
});

describe('RunStateService (real PostgreSQL)', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let state: RunStateService;
  const published: { subject: string; payload: unknown }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService({ url: db.url });
    const config = loadConfig({ DATABASE_URL: db.url, KILN_SECRET_KEY: generateKey(), KILN_EXECUTOR_KEY: generateKey() });
    const messaging = {
      publish: async (subject: string, payload: unknown) => {
        published.push({ subject, payload });
      },
    } as unknown as MessagingService;
    state = new RunStateService(prisma, new StepDispatcherService(prisma, messaging, config), new RunOutcomeService(prisma, messaging), config);
  });

  afterAll(async () => {
    await prisma?.onModuleDestroy();
    await db?.drop();
  });

  beforeEach(() => published.splice(0));

  /** A run of DEFINITION in `status`, its steps in the given statuses (test, lint, deploy). */
  async function runWithSteps(status: 'queued' | 'running', stepStatuses: ('pending' | 'running')[]) {
    const { projectId, runId } = await createRunRows(prisma, status);
    await prisma.run.update({ where: { id: runId }, data: { definition: encodeSnapshot(definition()) } });
    const steps = await Promise.all(
      definition().steps.map((s, position) =>
        prisma.step.create({
          data: { runId, name: s.name, position, image: s.image, commands: s.commands, dependsOn: s.dependsOn, status: stepStatuses[position] },
        }),
      ),
    );
    return { projectId, runId, ids: Object.fromEntries(steps.map((s) => [s.name, s.id])) };
  }

  const stepsOf = async (runId: string) =>
    Object.fromEntries((await prisma.step.findMany({ where: { runId } })).map((s) => [s.name, s.status]));
  const dispatched = () =>
    published.filter((p) => p.subject.endsWith('step.dispatched')).map((p) => (p.payload as StepDispatchedEvent).stepName);

  it('applies the events of a run that arrive together in one transaction and answers each caller for its own', async () => {
    const { runId, ids } = await runWithSteps('running', ['running', 'running', 'pending']);
    const connect = jest.spyOn(prisma.pool, 'connect');
    try {
      const answers = await Promise.all([
        state.apply(runId, [finished(ids.test)]),
        state.apply(runId, [finished(ids.lint)]),
        state.apply(runId, [finished(ids.test)]),
      ]);
      expect(answers).toEqual([true, true, false]);
      // The first alone; the two that came while it was in flight together. (Prisma's own queries
      // go through `pool.query`, which connects with a callback; the writer connects without.)
      expect(connect.mock.calls.filter(([callback]) => callback === undefined)).toHaveLength(2);
    } finally {
      connect.mockRestore();
    }
    expect(await stepsOf(runId)).toEqual({ test: 'succeeded', lint: 'succeeded', deploy: 'queued' });
    expect(dispatched()).toEqual(['deploy']);
  });

  it('fails only the caller whose event cannot be written, not those that came with it', async () => {
    const { runId, ids } = await runWithSteps('running', ['running', 'running', 'pending']);
    const unstorable: EngineEvent = { type: 'log-archived', stepId: ids.test, attempt: 1, logRef: 'x', logBytes: -1n << 70n };
    const first = state.apply(runId, [finished(ids.lint)]);
    // These two arrive while the first is in flight and go together, which fails; then each alone.
    const failing = state.apply(runId, [unstorable]);
    const after = state.apply(runId, [finished(ids.test)]);
    expect(await first).toBe(true);
    await expect(failing).rejects.toThrow(/out of range/);
    expect(await after).toBe(true);
    expect(await stepsOf(runId)).toEqual({ test: 'succeeded', lint: 'succeeded', deploy: 'queued' });
  });

  it("points a step at its archived log for the step's current attempt only, in a finished run too", async () => {
    const { runId, ids } = await runWithSteps('running', ['running', 'running', 'pending']);
    const other = await runWithSteps('running', ['running', 'running', 'pending']);
    const archived = (stepId: string, attempt: number, logRef: string, run = runId) =>
      state.logArchived({ version: 1, runId: run, stepId, attempt, logRef, logBytes: 1234 });
    const logs = async (id: string) => (await prisma.step.findMany({ where: { runId: id }, orderBy: { position: 'asc' } })).map((s) => [s.name, s.logRef, s.logBytes]);

    await archived(ids.test, 1, 'logs/test-1.log');
    await archived(ids.lint, 2, 'logs/lint-2.log'); // an attempt the step never had
    await archived(ids.deploy, 1, 'logs/deploy.log', other.runId); // named with another run
    await state.cancel(runId, 'alice', 'enough');
    await archived(ids.lint, 1, 'logs/lint-1.log');

    expect(await logs(runId)).toEqual([
      ['test', 'logs/test-1.log', 1234n],
      ['lint', 'logs/lint-1.log', 1234n],
      ['deploy', null, null],
    ]);
    expect((await logs(other.runId)).every(([, ref]) => ref === null)).toBe(true);
  });

  it('answers false for a run that does not exist', async () => {
    expect(await state.apply('00000000-0000-4000-8000-0000000000ff', [{ type: 'advance' }])).toBe(false);
  });

  it("starts a queued run once the run holding its project's only slot ends", async () => {
    const first = await runWithSteps('running', ['running', 'running', 'pending']);
    await prisma.project.update({ where: { id: first.projectId }, data: { concurrencyLimit: 1 } });
    const pipeline = await prisma.pipeline.findFirstOrThrow({ where: { projectId: first.projectId } });
    const waiting = await prisma.run.create({
      data: {
        id: randomUUID(),
        projectId: first.projectId,
        pipelineId: pipeline.id,
        number: 2,
        trigger: 'manual',
        triggeredBy: 'tester',
        event: 'manual',
        gitRef: 'main',
        definition: encodeSnapshot(definition()),
      },
    });
    await prisma.step.create({ data: { runId: waiting.id, name: 'test', position: 0, image: 'alpine', commands: ['true'] } });

    expect(await state.apply(waiting.id, [{ type: 'advance' }])).toBe(false);
    expect((await prisma.run.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe('queued');

    await state.apply(first.runId, [{ type: 'fail', reason: 'given up' }]);
    expect((await prisma.run.findUniqueOrThrow({ where: { id: first.runId } })).status).toBe('failed');
    expect((await prisma.run.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe('running');
    expect(await stepsOf(waiting.id)).toEqual({ test: 'queued' });
  });
});
