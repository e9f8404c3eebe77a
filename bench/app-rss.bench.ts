// Resident memory (VmRSS) of each app's process: idle a few seconds after start, and the peak
// under a mixed load that touches all six: pushes of new commits starting 3-step runs that each
// upload an artifact, a step printing a large log followed live over SSE, and run listings
// requested all along. Baselines: a bare Node.js process for idle, the app's idle figure for load.
import { AppName, APP_NAMES } from '@kiln/testing';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { commitSeries } from './support/commits';
import { rssMiB } from './support/proc';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { runOfPush, Stack, startStack } from './support/stack';
import { round, sleep, waitFor } from './support/stats';

const RUNS = 60;
const LOG_BYTES = 50 * 1024 * 1024;
const SETTLE_MS = 3000;
const SAMPLE_EVERY_MS = 250;

const RUN_DEFINITION = `pipeline:
  steps:
    - name: build
      image: alpine:3.20
      commands: ["mkdir -p out", "head -c 262144 /dev/urandom > out/report.bin"]
    - name: test
      image: alpine:3.20
      commands: ["echo test"]
      depends_on: [build]
    - name: lint
      image: alpine:3.20
      commands: ["echo lint"]
      depends_on: [build]
  artifacts:
    - { name: report, path: out/report.bin, expires: 1d }
`;

const FLOOD_DEFINITION = (bytes: number) => `pipeline:
  steps:
    - name: flood
      image: alpine:3.20
      commands: ["sleep 1", "yes 'a log line of the benchmark, long enough to look like real build output' | head -c ${bytes}"]
`;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 10);
  const logBytes = scaled(ctx, LOG_BYTES, 4 * 1024 * 1024);
  const bare = await bareNodeRss();
  const stack = await startStack({
    executor: { KILN_EXECUTOR_CAPACITY: '4', KILN_LOG_MAX_BYTES: String(logBytes * 2) },
  });
  try {
    const builds = await stack.createProject({ '.platform.yaml': RUN_DEFINITION });
    const flood = await stack.createProject({ '.platform.yaml': FLOOD_DEFINITION(logBytes) });
    const shas = commitSeries(builds.repo, runs);
    await sleep(SETTLE_MS);
    const idle = new Map(APP_NAMES.map((app) => [app, rssOf(stack, app)]));
    const peak = new Map(idle);
    const sampler = setInterval(() => {
      for (const app of APP_NAMES) peak.set(app, Math.max(peak.get(app)!, rssOf(stack, app)));
    }, SAMPLE_EVERY_MS);
    let loading = true;
    let unsucceeded = 0;
    try {
      const listing = (async () => {
        while (loading) {
          const res = await stack.api('GET', `/api/projects/${builds.id}/runs?limit=50`);
          if (res.status !== 200) throw new Error(`run listing answered ${res.status}`);
          await sleep(50);
        }
      })();
      // Its failure is reported where it is awaited, after the load.
      listing.catch(() => undefined);
      const floodRun = await runOfPush(stack.sql, await flood.push(flood.sha));
      const tail = followLog(stack, flood.id, floodRun);
      const runIds: string[] = [];
      for (const sha of shas) runIds.push(await runOfPush(stack.sql, await builds.push(sha)));
      await waitFor(
        `${runs} runs to finish`,
        runs * 3_000 + 60_000,
        async () => {
          const { rows } = await stack.sql.query<{ n: string }>(
            `SELECT count(*) AS n FROM runs WHERE id = ANY($1::uuid[]) AND status IN ('succeeded', 'failed', 'cancelled')`,
            [runIds],
          );
          return Number(rows[0].n) === runIds.length ? true : undefined;
        },
        250,
      );
      await tail;
      await waitFor(
        'the flood log to be archived',
        5 * 60_000,
        async () => {
          const { rows } = await stack.sql.query(
            'SELECT 1 FROM steps WHERE run_id = $1 AND log_ref IS NOT NULL',
            [floodRun],
          );
          return rows.length > 0 ? true : undefined;
        },
        250,
      );
      loading = false;
      await listing;
      const { rows } = await stack.sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM runs WHERE id = ANY($1::uuid[]) AND status <> 'succeeded'`,
        [runIds],
      );
      unsucceeded = Number(rows[0].n);
    } finally {
      loading = false;
      clearInterval(sampler);
    }
    const results: BenchResult[] = [];
    for (const app of APP_NAMES) {
      results.push(
        {
          name: `${app} RSS idle`,
          value: round(idle.get(app)!),
          unit: 'MiB',
          baseline: { name: 'bare Node.js process', value: round(bare) },
        },
        {
          name: `${app} RSS peak under load`,
          value: round(peak.get(app)!),
          unit: 'MiB',
          baseline: { name: `${app} idle`, value: round(idle.get(app)!) },
        },
      );
    }
    results[1].note =
      `${runs} runs with artifacts, a ${round(logBytes / 1048576)} MiB log followed live, run listings throughout` +
      (unsucceeded > 0 ? `; ${unsucceeded} runs did not succeed` : '');
    return results;
  } finally {
    await stack.stop();
  }
}

function rssOf(stack: Stack, app: AppName): number {
  const pid = stack.pid(app);
  const rss = pid === undefined ? undefined : rssMiB(pid);
  if (rss === undefined) throw new Error(`${app} is not running`);
  return rss;
}

/** Follows the flood step's log over SSE to its end, reading and dropping the events. */
async function followLog(stack: Stack, projectId: string, runId: string): Promise<void> {
  const stepId = await waitFor(
    'the flood step row',
    30_000,
    async () => {
      const { rows } = await stack.sql.query<{ id: string }>('SELECT id FROM steps WHERE run_id = $1', [
        runId,
      ]);
      return rows[0]?.id;
    },
    20,
  );
  const url = `${stack.url('gateway')}/api/projects/${projectId}/runs/${runId}/steps/${stepId}/logs`;
  await new Promise<void>((resolve, reject) => {
    const req = request(
      url,
      { headers: { accept: 'text/event-stream', authorization: `Bearer ${stack.adminToken}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let tail = '';
        res.on('data', (text: string) => {
          tail = (tail + text).slice(-200);
          if (tail.includes('event: end')) {
            res.destroy();
            resolve();
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** RSS of `node` doing nothing, the floor every app starts from. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)'], { stdio: 'ignore' });
  try {
    await sleep(1000);
    const rss = child.pid === undefined ? undefined : rssMiB(child.pid);
    if (rss === undefined) throw new Error('the bare Node.js process did not start');
    return rss;
  } finally {
    child.kill();
  }
}

if (require.main === module) runStandalone(run);
