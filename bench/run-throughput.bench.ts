// Runs per minute of a 3-step pipeline (build, then test and lint in parallel): 300 pushes of new
// commits, sent as fast as the receiver answers, with one executor at concurrency 1, 4 and 16
// (KILN_EXECUTOR_CAPACITY), then with a second scheduler and a second executor beside the first
// (capacity 4 each); time runs from the first push to the last run's end. The baseline runs
// the same bubblewrap command lines (the executor's own argument builder) directly from this
// process with the same step order and the same number of sandboxes at once: what is left over is
// the platform (events, database, workspace clone, logs, archiving).
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bwrapArgs } from '../apps/pod-executor/src/backend/local/bwrap-command';
import { writeSandboxEtc } from '../apps/pod-executor/src/backend/local/sandbox-etc';
import { commitSeries } from './support/commits';
import { cpuOfApps, cpuPerRun, findServers } from './support/app-cpu';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { BenchProject, pushTarget, startStack } from './support/stack';
import { round, waitFor } from './support/stats';

const RUNS = 300;
const CONCURRENCY_LEVELS = [1, 4, 16];
const PUSHERS = 8;
const STEPS = [
  { name: 'build', needs: [] as string[], command: 'echo build' },
  { name: 'test', needs: ['build'], command: 'echo test' },
  { name: 'lint', needs: ['build'], command: 'echo lint' },
];
const DEFINITION = `pipeline:
  steps:
${STEPS.map(
  (s) => `    - name: ${s.name}
      image: alpine:3.20
      commands: ["${s.command}"]
      depends_on: [${s.needs.join(', ')}]`,
).join('\n')}
`;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 10);
  const results: BenchResult[] = [];
  const direct = new Map<number, number>();
  const stack = await startStack({ executor: false });
  try {
    const project = await stack.createProject({ '.platform.yaml': DEFINITION });
    const servers = await findServers(stack);
    let perStepAtOne = 0;
    let atFour = 0;
    for (const concurrency of CONCURRENCY_LEVELS) {
      // Right before the platform at the same level: on a shared machine the load drifts.
      direct.set(concurrency, await directRunsPerMinute(runs, concurrency));
      ctx.log(
        `run-throughput: direct bubblewrap at ${concurrency}: ${round(direct.get(concurrency)!)} runs/min`,
      );
      await stack.startExecutor({ KILN_EXECUTOR_CAPACITY: String(concurrency) });
      const cpuBefore = cpuOfApps(stack, servers);
      const { minutes, failed } = await platformRuns(stack.sql, project, runs);
      const cpu = cpuPerRun(cpuBefore, cpuOfApps(stack, servers), runs);
      ctx.log(
        `run-throughput: CPU ms per run at ${concurrency}: ${cpu.map((c) => `${c.name} ${c.value}`).join(', ')}`,
      );
      const rate = runs / minutes;
      ctx.log(`run-throughput: platform at ${concurrency}: ${round(rate)} runs/min`);
      if (concurrency === 1) perStepAtOne = (minutes * 60_000) / (runs * STEPS.length);
      if (concurrency === 4) atFour = round(rate);
      results.push({
        name: `runs/min, 3 steps, executor concurrency ${concurrency}`,
        value: round(rate),
        unit: 'runs/min',
        baseline: {
          name: `bwrap directly, ${concurrency} at a time`,
          value: round(direct.get(concurrency)!),
        },
        ...(failed > 0 ? { note: `${failed} runs did not succeed` } : {}),
      });
      results.push(...cpu.map((c) => ({ ...c, name: `  CPU per run at ${concurrency}, ${c.name}` })));
    }
    // Scale out on the same machine: a second scheduler and a second executor beside the first.
    await stack.startExecutor({ KILN_EXECUTOR_CAPACITY: '4' });
    await stack.addReplica('scheduler');
    await stack.addReplica('pod-executor', { KILN_EXECUTOR_CAPACITY: '4' });
    const scaledOut = await platformRuns(stack.sql, project, runs);
    await stack.stopReplicas();
    ctx.log(`run-throughput: 2 schedulers + 2 executors: ${round(runs / scaledOut.minutes)} runs/min`);
    results.push({
      name: 'runs/min, 2 schedulers + 2 executors at concurrency 4 each',
      value: round(runs / scaledOut.minutes),
      unit: 'runs/min',
      baseline: { name: '1 scheduler + 1 executor at concurrency 4', value: atFour },
      ...(scaledOut.failed > 0 ? { note: `${scaledOut.failed} runs did not succeed` } : {}),
    });
    const directPerStep = 60_000 / (direct.get(1)! * STEPS.length);
    results.push(
      {
        name: 'wall time per step at concurrency 1',
        value: round(perStepAtOne),
        unit: 'ms',
        baseline: { name: 'bwrap directly, one at a time', value: round(directPerStep) },
      },
      {
        name: 'platform overhead per step',
        value: round(perStepAtOne - directPerStep),
        unit: 'ms',
        note: 'wall time per step at concurrency 1 minus the direct bwrap time',
      },
    );
    return results;
  } finally {
    await stack.stop();
  }
}

/** Pushes `runs` new commits, as fast as the receiver answers, and waits until every run has ended. */
export async function platformRuns(
  sql: Client,
  project: BenchProject,
  runs: number,
): Promise<{ minutes: number; failed: number }> {
  const shas = commitSeries(project.repo, runs);
  const started = Date.now();
  const answers: { status: number; body: Record<string, unknown> }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PUSHERS }, async () => {
      while (next < runs) answers.push(await project.push(shas[next++]));
    }),
  );
  // The runs are found by their deliveries in the one query that waits for them: a query per push
  // every 20 ms (runOfPush) was most of PostgreSQL's work while the runs were being created.
  const targets = answers.map(pushTarget);
  const runIds = targets.flatMap((t) => (t.runId ? [t.runId] : []));
  const deliveryIds = targets.flatMap((t) => (t.deliveryId ? [t.deliveryId] : []));
  const done = await waitFor(
    `${runs} runs to finish`,
    Math.max(runs * 2_000, 300_000) + 60_000,
    async () => {
      const { rows } = await sql.query<{ ended: string; failed: string; last: string | null }>(
        `SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) AS ended,
              count(*) FILTER (WHERE status IN ('failed', 'cancelled')) AS failed,
              extract(epoch FROM max(finished_at)) * 1000 AS last
         FROM runs WHERE id = ANY($1::uuid[]) OR delivery_id = ANY($2::uuid[])`,
        [runIds, deliveryIds],
      );
      return Number(rows[0].ended) >= runs ? rows[0] : undefined;
    },
    250,
  );
  return { minutes: (Number(done.last) - started) / 60_000, failed: Number(done.failed) };
}

/** The same sandboxes, spawned from here: each run's build, then test and lint, `concurrency` at a time. */
async function directRunsPerMinute(runs: number, concurrency: number): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'kiln-bench-bwrap-'));
  const limit = semaphore(concurrency);
  const started = performance.now();
  try {
    const etcDir = await writeSandboxEtc(root, SANDBOX_USER);
    await Promise.all(
      Array.from({ length: runs }, async (_, i) => {
        const workspace = join(root, `run-${i}`);
        mkdirSync(workspace);
        const step = (index: number) => limit(() => sandbox(workspace, etcDir, i, STEPS[index]));
        await step(0);
        await Promise.all([step(1), step(2)]);
      }),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return runs / ((performance.now() - started) / 60_000);
}

const SANDBOX_USER = { uid: 1000, gid: 1000 };

function sandbox(
  workspace: string,
  etcDir: string,
  run: number,
  step: { name: string; command: string },
): Promise<void> {
  const args = bwrapArgs({
    workspaceDir: workspace,
    etcDir,
    user: SANDBOX_USER,
    hostname: `bench-${run}-${step.name}`,
    env: { CI: 'true', STEP_NAME: step.name, RUN_NUMBER: String(run) },
    commands: [step.command],
    network: false,
  });
  return new Promise((resolve, reject) => {
    // The executor's stdio: output pipes and the status pipe bwrap reports the sandbox pid on.
    const child = spawn(process.env.KILN_BWRAP_PATH ?? '/usr/bin/bwrap', args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdio[3]!.on('data', () => undefined);
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`bwrap exited ${code}: ${output}`)),
    );
  });
}

function semaphore(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = size;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    free--;
    try {
      return await task();
    } finally {
      free++;
      waiting.shift()?.();
    }
  };
}

if (require.main === module) runStandalone(run);
