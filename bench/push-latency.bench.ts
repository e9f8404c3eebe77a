// Push → first step started: a signed GitHub push of a new commit, one at a time, through the
// whole platform (receiver, scheduler fetching .platform.yaml from the commit, executor cloning
// the workspace and starting the bubblewrap sandbox). The latency is the step's started_at minus
// the moment the webhook answered at the client; both clocks are this machine's.
import { cpuOfApps, cpuPerRun, findServers } from './support/app-cpu';
import { commitSeries } from './support/commits';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { runOfPush, startStack } from './support/stack';
import { round, summarize, waitFor } from './support/stats';

const RUNS = 200;
const DEFINITION = `pipeline:
  steps:
    - name: hello
      image: alpine:3.20
      commands: ["echo hello from $COMMIT_SHA"]
`;

interface Timing {
  answeredAt: number;
  runCreatedAt: number;
  stepQueuedAt: number;
  stepStartedAt: number;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 10);
  const stack = await startStack({ executor: { KILN_EXECUTOR_CAPACITY: '4' } });
  try {
    const project = await stack.createProject({ '.platform.yaml': DEFINITION, 'README.md': 'bench\n' });
    const servers = await findServers(stack);
    const timings: Timing[] = [];
    // Two warm-up runs: the first fetch into the scheduler's git cache and first sandbox are not typical.
    const shas = commitSeries(project.repo, runs + 2);
    let cpuBefore = cpuOfApps(stack, servers);
    for (const [i, sha] of shas.entries()) {
      if (i === 2) cpuBefore = cpuOfApps(stack, servers);
      const answer = await project.push(sha);
      const answeredAt = Date.now();
      const timing = await finishedRun(stack.sql, await runOfPush(stack.sql, answer), answeredAt);
      if (i >= 2) timings.push(timing);
      if ((i + 1) % 50 === 0) ctx.log(`push-latency: ${i + 1}/${runs + 2} runs`);
    }
    const cpu = cpuPerRun(cpuBefore, cpuOfApps(stack, servers), timings.length);
    const total = summarize(timings.map((t) => t.stepStartedAt - t.answeredAt));
    const toRun = summarize(timings.map((t) => t.runCreatedAt - t.answeredAt));
    const toQueued = summarize(timings.map((t) => t.stepQueuedAt - t.runCreatedAt));
    const toStart = summarize(timings.map((t) => t.stepStartedAt - t.stepQueuedAt));
    return [
      {
        name: 'push → first step started, p50',
        value: round(total.p50),
        unit: 'ms',
        note: `${timings.length} runs, one at a time`,
      },
      { name: 'push → first step started, p99', value: round(total.p99), unit: 'ms' },
      {
        name: '  webhook answered → run created, p50',
        value: round(toRun.p50),
        unit: 'ms',
        note: 'scheduler: fetch commit, read definition, insert run',
      },
      { name: '  run created → step queued, p50', value: round(toQueued.p50), unit: 'ms' },
      {
        name: '  step queued → step started, p50',
        value: round(toStart.p50),
        unit: 'ms',
        note: 'dispatch, workspace clone, sandbox start',
      },
      ...cpu.map((c) => ({ ...c, name: `  CPU per run, ${c.name}` })),
    ];
  } finally {
    await stack.stop();
  }
}

async function finishedRun(sql: import('pg').Client, runId: string, answeredAt: number): Promise<Timing> {
  return waitFor(
    `run ${runId} to finish`,
    60_000,
    async () => {
      const { rows } = await sql.query<{
        status: string;
        created: string;
        queued: string | null;
        started: string | null;
      }>(
        `SELECT r.status,
              extract(epoch FROM r.created_at) * 1000 AS created,
              extract(epoch FROM s.queued_at) * 1000 AS queued,
              extract(epoch FROM s.started_at) * 1000 AS started
         FROM runs r JOIN steps s ON s.run_id = r.id AND s.position = 0
        WHERE r.id = $1`,
        [runId],
      );
      const row = rows[0];
      if (!row || !['succeeded', 'failed', 'cancelled'].includes(row.status)) return undefined;
      if (row.status !== 'succeeded' || row.started === null || row.queued === null) {
        throw new Error(`run ${runId} ended ${row.status} without starting its step`);
      }
      return {
        answeredAt,
        runCreatedAt: Number(row.created),
        stepQueuedAt: Number(row.queued),
        stepStartedAt: Number(row.started),
      };
    },
    20,
  );
}

if (require.main === module) runStandalone(run);
