/**
 * The chaos suite (issue 10): faults injected into the running platform while runs of a
 * four-step DAG print numbered lines. Each app is killed with SIGKILL and restarted, the NATS
 * server is restarted, PostgreSQL is stopped for 10 s, step events and dispatches are
 * duplicated and replayed out of order, a step floods its log past the cap. Afterwards every
 * run is terminal, every archived log holds each numbered line exactly once (or stops at the
 * truncation marker), each delivery made one run, and no sandbox or workspace is left.
 *
 * `pnpm test:chaos` runs it, and so does CI (`pnpm test`), in this short form: 3 runs per fault.
 * `KILN_CHAOS_RUNS=50 pnpm test:chaos` puts 50 runs through each fault (several minutes).
 * The summary table (fault, runs, outcome) is printed and written to bench/results/chaos-summary.md;
 * KILN_CHAOS_APP_LOGS=<dir> also keeps every app's output there (and in <dir>/first-failure as it was
 * when the first fault went wrong).
 */
import { APP_NAMES, AppName, createGitRepo, TestGitRepo } from '@kiln/testing';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  archivedLog,
  bwrapProcessesOf,
  logProblems,
  RunRow,
  StepRow,
  stepsOf,
  waitFor,
  waitRunning,
  waitTerminal,
  workspacesLeft,
} from './chaos-checks';
import { ChaosPlatform, startChaosPlatform, TappedMessage } from './chaos-platform';
import { DIAMOND, diamondDefinition, FLOOD_LINES, floodDefinition, pushPayload, STEP_LINES } from './chaos-pipeline';
import { FaultOutcome, writeSummary } from './chaos-summary';

const RUNS = Math.max(1, Number(process.env.KILN_CHAOS_RUNS ?? 3));
const SECRET = 'chaos-webhook-secret';
const LOG_CAP_BYTES = 256 * 1024;
const EXECUTOR_CAPACITY = 8;
const WAVE_MS = 120_000 + RUNS * 4_000;
/** Durable consumers that change runs, steps and logs: quiet before a snapshot is compared. */
// The scheduler's log-archived consumer comes after the archiver: polled in this order, an archiver
// with nothing left has published its events before their consumer is read.
const STATE_DURABLES = [
  'pod-executor',
  'log-archiver',
  'scheduler-run-requested',
  'scheduler-step-started',
  'scheduler-step-finished',
  'scheduler-step-log-archived',
];
/**
 * Everything whose backlog must be empty before leftovers are counted. `kiln.run.finished`
 * deliveries caught by a NATS restart come back only after their ack wait (2 min), hence the wait.
 */
const ALL_DURABLES = [...STATE_DURABLES, 'pod-executor-run-finished'];
const ALL_SETTLED_MS = 150_000;

interface Wave {
  fault: string;
  runIds: string[];
  /** Runs may end failed with "executor … lost" (the executor was killed under them). */
  mayLoseExecutor: boolean;
}

describe('the platform under faults', () => {
  let chaos: ChaosPlatform;
  let repo: TestGitRepo;
  const began = Date.now();
  const outcomes: FaultOutcome[] = [];
  const waves: Wave[] = [];
  /** Provider delivery id → the run id its first answer named. */
  const deliveries = new Map<string, string>();

  beforeAll(async () => {
    repo = createGitRepo();
    chaos = await startChaosPlatform({
      // Heartbeats come every 5 s: an executor silent for 10 s is lost, noticed within a second.
      KILN_EXECUTOR_LOST_AFTER: '10s',
      KILN_WATCHDOG_INTERVAL: '1s',
      KILN_EXECUTOR_CAPACITY: String(EXECUTOR_CAPACITY),
      KILN_LOG_MAX_BYTES: String(LOG_CAP_BYTES),
    });
    const res = await chaos.platform.api<{ id: string }>('POST', '/api/projects', {
      name: 'chaos',
      repo_url: repo.url,
      repo_full_name: 'acme/chaos',
      provider: 'github',
      webhook_secret: SECRET,
    });
    expect(res.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    const table = writeSummary(outcomes, RUNS, Date.now() - began);
    console.log(`chaos suite summary\n${table}`);
    if (process.env.KILN_CHAOS_APP_LOGS && chaos) keepAppLogs(chaos, process.env.KILN_CHAOS_APP_LOGS);
    await chaos?.stop();
    repo?.remove();
  }, 60_000);

  async function push(sha: string, deliveryId: string): Promise<string> {
    const res = await chaos.platform.pushToGithub(pushPayload(repo, sha, deliveryId), SECRET, deliveryId);
    if (res.status !== 202) throw new Error(`delivery ${deliveryId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const record = res.body.delivery_record_id as string;
    const first = deliveries.get(deliveryId);
    if (first !== undefined && first !== record) throw new Error(`delivery ${deliveryId} was stored as ${first}, then ${record}`);
    deliveries.set(deliveryId, record);
    return chaos.platform.runOfDelivery(record, 120_000);
  }

  function commit(definition: string): string {
    return repo.commit({ '.platform.yaml': definition, 'wave.txt': randomUUID() });
  }

  function startRuns(definition = diamondDefinition, count = RUNS): Promise<string[]> {
    const sha = commit(definition);
    return Promise.all(Array.from({ length: count }, () => push(sha, randomUUID())));
  }

  async function killAndRestart(app: AppName, downMs = 0): Promise<void> {
    await chaos.platform.apps.kill(app, 'SIGKILL');
    if (downMs > 0) await sleep(downMs);
    await chaos.platform.apps.start(app);
  }

  /** Starts runs with `act` (which injects the fault), waits until all are terminal, records the outcome. */
  async function wave(
    fault: string,
    act: () => Promise<string[]>,
    opts: { mayLoseExecutor?: boolean; settle?: (runIds: string[]) => Promise<void> } = {},
  ): Promise<void> {
    const record: FaultOutcome = { fault, runs: 0, outcome: 'not finished' };
    outcomes.push(record);
    const waveBegan = Date.now();
    try {
      const runIds = await act();
      record.runs = runIds.length;
      waves.push({ fault, runIds, mayLoseExecutor: opts.mayLoseExecutor ?? false });
      const runs = await waitTerminal(chaos, runIds, WAVE_MS);
      const tookS = Math.round((Date.now() - waveBegan) / 1000);
      await opts.settle?.(runIds);
      const steps = await stepsOf(chaos, runIds);
      record.outcome = `${describeOutcome(runs, steps)}; all terminal ${tookS} s after the first push`;
      // Only a killed executor is a reason to run a step again; any other fault must not look like one.
      if (!opts.mayLoseExecutor) expect(steps.filter((s) => s.attempt > 1)).toEqual([]);
      // Every run succeeds, unless a killed executor cost one of its steps both attempts ("executor … lost").
      const lostExecutor = (run: RunRow) => steps.some((s) => s.run_id === run.id && /^executor .* lost/.test(s.error ?? ''));
      const unexpected = runs.filter(
        (r) => r.status !== 'succeeded' && !(opts.mayLoseExecutor && r.status === 'failed' && lostExecutor(r)),
      );
      expect(unexpected.map((r) => ({ ...r, steps: steps.filter((s) => s.run_id === r.id) }))).toEqual([]);
    } catch (error) {
      record.outcome = `FAILED: ${String(error).split('\n')[0].slice(0, 200)}`;
      console.log(`${fault} failed; what the platform did since the wave began:\n${await postMortem(chaos, waveBegan)}`);
      const keep = process.env.KILN_CHAOS_APP_LOGS;
      if (keep && !outcomes.some((o) => o !== record && o.outcome.startsWith('FAILED'))) keepAppLogs(chaos, join(keep, 'first-failure'));
      throw error;
    }
  }

  it(
    'finishes every run when the scheduler is killed with SIGKILL mid-run and restarted',
    () =>
      wave('kill -9 scheduler, restart', async () => {
        const runIds = await startRuns();
        await waitRunning(chaos, runIds, 1);
        await killAndRestart('scheduler');
        return runIds;
      }),
    WAVE_MS + 30_000,
  );

  it(
    'retries the steps of a killed executor on its successor and finishes every run',
    () =>
      wave(
        'kill -9 pod-executor, restart',
        async () => {
          const runIds = await startRuns();
          await waitRunning(chaos, runIds, Math.min(runIds.length, EXECUTOR_CAPACITY));
          await killAndRestart('pod-executor');
          return runIds;
        },
        { mayLoseExecutor: true },
      ),
    WAVE_MS + 30_000,
  );

  it(
    'archives every log when the log-archiver is killed with SIGKILL while archiving',
    () =>
      wave('kill -9 log-archiver, restart', async () => {
        const runIds = await startRuns();
        await waitFor('a step finished', 30_000, async () =>
          (await stepsOf(chaos, runIds)).some((s) => s.status === 'succeeded') ? true : undefined,
        );
        await killAndRestart('log-archiver', 500);
        return runIds;
      }),
    WAVE_MS + 30_000,
  );

  it(
    'makes one run per delivery when the webhook-receiver dies mid-delivery and the provider redelivers',
    () =>
      wave('kill -9 webhook-receiver during deliveries, redeliver all', async () => {
        const sha = commit(diamondDefinition);
        const ids = Array.from({ length: RUNS }, () => randomUUID());
        const first = Promise.allSettled(ids.map((id) => push(sha, id)));
        await sleep(20);
        await chaos.platform.apps.kill('webhook-receiver', 'SIGKILL');
        await first;
        await chaos.platform.apps.start('webhook-receiver');
        // A provider retries what failed and, with at-least-once delivery, may repeat what got through.
        const runIds = await Promise.all(ids.map((id) => push(sha, id)));
        expect(new Set(runIds).size).toBe(ids.length);
        return runIds;
      }),
    WAVE_MS + 30_000,
  );

  it(
    'keeps runs going while the gateway is killed with SIGKILL, and serves them after its restart',
    () =>
      wave(
        'kill -9 gateway, restart',
        async () => {
          const runIds = await startRuns();
          await waitRunning(chaos, runIds, 1);
          await killAndRestart('gateway', 1_000);
          return runIds;
        },
        {
          settle: async (runIds) => {
            const projectId = (await chaos.query<{ project_id: string }>('SELECT project_id FROM runs WHERE id = $1', [runIds[0]]))[0].project_id;
            for (const id of runIds) expect((await chaos.platform.waitForRun(projectId, id)).status).toBe('succeeded');
          },
        },
      ),
    WAVE_MS + 30_000,
  );

  it(
    'uploads the artifacts once the artifact-service, killed with SIGKILL during the runs, is back',
    () =>
      wave(
        'kill -9 artifact-service until the runs end, restart',
        async () => {
          const runIds = await startRuns();
          await waitRunning(chaos, runIds, 1);
          await chaos.platform.apps.kill('artifact-service', 'SIGKILL');
          return runIds;
        },
        {
          settle: async (runIds) => {
            await chaos.platform.apps.start('artifact-service');
            await waitFor('artifacts stored', 60_000, async () => {
              const rows = await chaos.query<{ run_id: string }>("SELECT DISTINCT run_id FROM artifacts WHERE run_id = ANY($1::uuid[]) AND name = 'out'", [runIds]);
              return rows.length === runIds.length ? rows : undefined;
            });
          },
        },
      ),
    WAVE_MS + 90_000,
  );

  it(
    'finishes every run across a restart of the NATS server',
    () =>
      wave('restart nats-server', async () => {
        const runIds = await startRuns();
        await waitRunning(chaos, runIds, 1);
        await chaos.restartNats();
        return runIds;
      }),
    WAVE_MS + 30_000,
  );

  it(
    'finishes every run when PostgreSQL is stopped for 10 s mid-run',
    () =>
      wave('stop PostgreSQL for 10 s', async () => {
        const runIds = await startRuns();
        await waitRunning(chaos, runIds, 1);
        await chaos.stopPostgres();
        await sleep(10_000);
        await chaos.startPostgres();
        return runIds;
      }),
    WAVE_MS + 40_000,
  );

  it(
    'ignores duplicated and reordered step events and dispatches',
    () =>
      wave(
        'duplicate + reorder run/step events and dispatches',
        async () => {
          const runIds = await startRuns();
          await waitRunning(chaos, runIds, Math.min(runIds.length, EXECUTOR_CAPACITY));
          // Copies while the steps run: the dispatches twice, the step events newest first.
          const live = messagesOf(chaos.tapped(), runIds);
          for (const msg of live.filter((m) => m.subject === 'kiln.step.dispatched')) {
            await chaos.publishCopy(msg.subject, msg.data);
            await chaos.publishCopy(msg.subject, msg.data);
          }
          for (const msg of live.reverse()) await chaos.publishCopy(msg.subject, msg.data);
          return runIds;
        },
        {
          settle: async (runIds) => {
            await settled(STATE_DURABLES);
            const before = await snapshot(runIds);
            // Every event and dispatch of the finished runs once more, last first.
            for (const msg of messagesOf(chaos.tapped(), runIds).reverse()) await chaos.publishCopy(msg.subject, msg.data);
            await settled(STATE_DURABLES);
            expect(await snapshot(runIds)).toEqual(before);
          },
        },
      ),
    WAVE_MS + 90_000,
  );

  it(
    'cuts a step log at the cap with one marker and finishes the run',
    () => wave(`step printing ${FLOOD_LINES} lines past a ${LOG_CAP_BYTES / 1024} KiB log cap`, () => startRuns(floodDefinition)),
    WAVE_MS,
  );

  it('leaves every run terminal with whole logs, one run per delivery, and no sandbox or workspace behind', async () => {
    const record: FaultOutcome = { fault: 'afterwards: invariants over all runs', runs: 0, outcome: 'not finished' };
    outcomes.push(record);
    const runIds = waves.flatMap((w) => w.runIds);
    record.runs = runIds.length;
    const runs = await waitTerminal(chaos, runIds, 30_000);
    expect(runs).toHaveLength(runIds.length);

    const steps = await waitFor('logs archived', 60_000, async () => {
      const all = await stepsOf(chaos, runIds);
      return all.every((s) => s.log_ref !== null || !reportedByExecutor(s)) ? all : undefined;
    });
    const problems: string[] = [];
    const archived = steps.filter((s) => s.log_ref !== null);
    for (const step of archived) {
      const flood = step.name === 'flood';
      const text = archivedLog(chaos.platform.dataDir, step.log_ref!);
      const found = logProblems(text, step.name, flood ? FLOOD_LINES : STEP_LINES, flood);
      // The cap counts the step's own output; the executor's few lines (command echo, marker) come on top.
      if (flood && Buffer.byteLength(text) > LOG_CAP_BYTES + 1024) found.push(`${Buffer.byteLength(text)} bytes kept`);
      problems.push(...found.map((p) => `run ${step.run_id} step ${step.name}: ${p}`));
    }
    expect(problems).toEqual([]);
    // No step attempt ran twice: its output would show up as two versions of the same chunk.
    expect(chaos.divergentLogChunks()).toEqual([]);
    expect(archived.filter((s) => DIAMOND.includes(s.name)).length).toBeGreaterThan(0);

    const perDelivery = await chaos.query<{ delivery_id: string; record: string; runs: string }>(
      `SELECT d.delivery_id, d.id AS record, count(r.id) AS runs
         FROM webhook_deliveries d LEFT JOIN runs r ON r.delivery_id = d.id GROUP BY d.id`,
    );
    expect(perDelivery.filter((d) => d.runs !== '1' || deliveries.get(d.delivery_id) !== d.record)).toEqual([]);
    expect(perDelivery).toHaveLength(deliveries.size);
    const [{ count }] = await chaos.query<{ count: string }>('SELECT count(*) FROM runs');
    expect(Number(count)).toBe(deliveries.size);

    await settled(ALL_DURABLES, ALL_SETTLED_MS);
    const succeeded = runs.filter((r) => r.status === 'succeeded' && !waves.some((w) => w.fault.startsWith('step printing') && w.runIds.includes(r.id)));
    const withArtifact = await chaos.query<{ run_id: string }>("SELECT DISTINCT run_id FROM artifacts WHERE name = 'out'");
    expect(succeeded.filter((r) => !withArtifact.some((a) => a.run_id === r.id))).toEqual([]);
    expect(bwrapProcessesOf(chaos.platform.dataDir)).toEqual([]);
    expect(workspacesLeft(chaos.platform.dataDir)).toEqual([]);
    record.outcome =
      `${archived.length} archived logs whole; ${deliveries.size} deliveries, ${count} runs; ` +
      `${withArtifact.length} runs with artifacts; 0 sandboxes, 0 workspaces left`;
  }, ALL_SETTLED_MS + 90_000);

  /** Waits until none of the consumers has work waiting or in flight (stale dispatches included). */
  async function settled(durables: string[], timeoutMs = 60_000): Promise<void> {
    const busy: string[] = [];
    try {
      await waitFor('consumers settled', timeoutMs, async () => {
        busy.length = 0;
        for (const durable of durables) if ((await chaos.unsettled(durable)) > 0) busy.push(durable);
        return busy.length === 0 ? true : undefined;
      });
    } catch (error) {
      throw new Error(`${String(error)}; still busy: ${busy.join(', ')}`, { cause: error });
    }
  }

  // Every state change of a run or step moves one of these columns (the run engine writes only
  // what differs), so an equal snapshot means the replay changed nothing.
  async function snapshot(runIds: string[]): Promise<unknown> {
    const runs = await chaos.query('SELECT id, status, error, started_at, finished_at, last_progress_at FROM runs WHERE id = ANY($1::uuid[]) ORDER BY id', [runIds]);
    const steps = await chaos.query(
      'SELECT id, status, attempt, exit_code, error, log_ref, log_bytes, queued_at, started_at, finished_at FROM steps WHERE run_id = ANY($1::uuid[]) ORDER BY id',
      [runIds],
    );
    return { runs, steps };
  }
});

/**
 * For the CI log, where app logs are not kept: the runs created since `since` with their steps'
 * states, and every warning or error the apps logged since then (the last 30 per app).
 */
async function postMortem(chaos: ChaosPlatform, since: number): Promise<string> {
  const runs = await chaos.query<{ id: string; status: string; steps: string | null }>(
    `SELECT r.id, r.status, string_agg(s.name || '=' || s.status || '#' || s.attempt, ' ' ORDER BY s.position) AS steps
       FROM runs r LEFT JOIN steps s ON s.run_id = r.id
      WHERE r.created_at >= to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC'
      GROUP BY r.id, r.status`,
    [since],
  );
  const problems = APP_NAMES.map((app) => {
    const lines = chaos.platform.apps
      .output(app)
      .split('\n')
      .filter((line) => {
        try {
          const entry = JSON.parse(line) as { level?: number; time?: number };
          return (entry.level ?? 0) >= 40 && (entry.time ?? 0) >= since;
        } catch {
          return false;
        }
      });
    return lines.length > 0 ? `${app}:\n${lines.slice(-30).join('\n')}` : `${app}: no warnings`;
  });
  const runLines = runs.map((r) => `run ${r.id} ${r.status}: ${r.steps ?? 'no steps'}`);
  return [`${runs.length} runs created`, ...runLines, ...problems].join('\n');
}

/** Writes each app's output (JSON log lines, restarts included) to `<dir>/<app>.log` for a post-mortem. */
function keepAppLogs(chaos: ChaosPlatform, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const app of APP_NAMES) writeFileSync(join(dir, `${app}.log`), chaos.platform.apps.output(app));
  // The apps are this worker's children: which of them were still alive.
  const ps = spawnSync('ps', ['-o', 'pid,stat,etime,args', '--ppid', String(process.pid)], { encoding: 'utf8' });
  writeFileSync(join(dir, 'processes.txt'), ps.stdout);
}

function messagesOf(messages: TappedMessage[], runIds: string[]): TappedMessage[] {
  return messages.filter((m) => runIds.includes(m.payload.runId as string));
}

/** Steps that ended through an executor's report, which always comes with an archived log. */
function reportedByExecutor(step: StepRow): boolean {
  if (step.status === 'succeeded') return true;
  return step.status === 'failed' && !/^executor .* lost/.test(step.error ?? '');
}

function describeOutcome(runs: RunRow[], steps: StepRow[]): string {
  const byStatus = new Map<string, number>();
  for (const run of runs) byStatus.set(run.status, (byStatus.get(run.status) ?? 0) + 1);
  const parts = [...byStatus].map(([status, n]) => `${n} ${status}`);
  const retried = steps.filter((s) => s.attempt > 1).length;
  if (retried > 0) parts.push(`${retried} steps ran a second attempt`);
  const reasons = [...new Set(steps.filter((s) => s.status === 'failed').map((s) => s.error ?? 'exit code'))];
  if (reasons.length > 0) parts.push(`step failures: ${reasons.join('; ')}`);
  return parts.join(', ');
}
