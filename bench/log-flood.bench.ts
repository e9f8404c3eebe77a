// A step printing 200 MB of log lines as fast as it can, each stamped with the time it was
// written. A Server-Sent Events client of the gateway (in a worker thread, so it never waits on
// this process's event loop) follows the step live and measures write → receipt per line; then
// the log-archiver turns the same bytes into one object. Baselines: the same generator through
// a plain pipe (what the sandbox's output could carry at most) and `cat` of the archived bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { AppCpu, cpuOfApps, findServers } from './support/app-cpu';
import { processCpuMs } from './support/proc';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { runOfPush, Stack, startStack } from './support/stack';
import { percentile, round, waitFor } from './support/stats';

const LOG_BYTES = 200 * 1024 * 1024;
const MiB = 1024 * 1024;

/** The generator, committed to the project's repository: `node flood.js <bytes>`. */
const FLOOD_JS = `const total = Number(process.argv[2]);
const pad = 'x'.repeat(70);
let written = 0;
let seq = 0;
while (written < total) {
  const now = Date.now();
  let chunk = '';
  while (chunk.length < 65536) chunk += now + ' ' + seq++ + ' ' + pad + '\\n';
  // A pipe's writes are synchronous: the stamp is taken before a write that waits for the reader.
  require('fs').writeSync(1, chunk);
  written += chunk.length;
}
require('fs').writeSync(1, 'flood done ' + seq + '\\n');
`;

interface TailReport {
  lines: number;
  bytes: number;
  /** Write → receipt per stamped line, ms. */
  latencies: Int32Array;
  /** Write → executor read (the line's ts), ms. */
  executorLags: Int32Array;
  firstAt: number;
  lastAt: number;
  expected: number | null;
  /** CPU time of this process (the client; the main thread only waits) while the events were read. */
  cpuMs: number;
  error?: string;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const bytes = scaled(ctx, LOG_BYTES, 4 * MiB);
  const pipe = pipeThroughput(bytes);
  ctx.log(`log-flood: plain pipe ${round(pipe.mibPerSecond)} MiB/s`);
  const stack = await startStack({
    executor: { KILN_EXECUTOR_CAPACITY: '4', KILN_LOG_MAX_BYTES: String(bytes + 64 * MiB) },
  });
  try {
    const definition = `pipeline:
  steps:
    - name: flood
      image: node:20
      timeout: 15m
      commands: ["sleep 2", "node flood.js ${bytes}"]
`;
    const project = await stack.createProject({ '.platform.yaml': definition, 'flood.js': FLOOD_JS });
    const runId = await runOfPush(stack.sql, await project.push(project.sha));
    const stepId = await waitFor(
      'the flood step row',
      30_000,
      async () => {
        const { rows } = await stack.sql.query<{ id: string; status: string }>(
          'SELECT id, status FROM steps WHERE run_id = $1',
          [runId],
        );
        return rows[0]?.id;
      },
      20,
    );
    const path = `/api/projects/${project.id}/runs/${runId}/steps/${stepId}/logs`;
    const cpu = (app: 'gateway' | 'pod-executor' | 'log-archiver') => processCpuMs(stack.pid(app)!);
    const servers = await findServers(stack);
    const cpuBefore = {
      gateway: cpu('gateway'),
      archiver: cpu('log-archiver'),
      apps: cpuOfApps(stack, servers),
    };
    const tail = await follow(`${stack.url('gateway')}${path}`, stack.adminToken);
    if (tail.error) throw new Error(`SSE client failed: ${tail.error}`);
    const liveMiB = tail.bytes / MiB;
    const live = livePathCpu(cpuBefore, { gateway: cpu('gateway'), apps: cpuOfApps(stack, servers) });
    const cpuPerMiB = (ms: number) => round(ms / liveMiB);
    const livePathPerMiB = (Object.values(live).reduce((sum, ms) => sum + ms, 0) + tail.cpuMs) / liveMiB;
    ctx.log(`log-flood: SSE client got ${tail.lines} lines`);
    const archive = await archived(stack, stepId);
    const archiverCpuPerMiB = (cpu('log-archiver') - cpuBefore.archiver) / (archive.bytes / MiB);
    const copy = catThroughput(join(stack.dataDir, 'objects', archive.key));
    const sortedLatency = tail.latencies.sort();
    const sortedLag = tail.executorLags.sort();
    const liveMiBs = liveMiB / ((tail.lastAt - tail.firstAt) / 1000);
    const archiveMiBs = archive.bytes / MiB / archive.seconds;
    return [
      {
        name: 'live tail latency write → SSE client, p50',
        value: round(percentile(sortedLatency, 0.5)),
        unit: 'ms',
        note: `${round(bytes / MiB)} MiB log, lines stamped when written`,
      },
      {
        name: 'live tail latency write → SSE client, p99',
        value: round(percentile(sortedLatency, 0.99)),
        unit: 'ms',
      },
      {
        name: '  of which write → executor read, p99',
        value: round(percentile(sortedLag, 0.99)),
        unit: 'ms',
        note: 'time lines wait in the sandbox pipe',
      },
      {
        name: 'live log throughput to the SSE client',
        value: round(liveMiBs),
        unit: 'MiB/s',
        baseline: { name: 'same generator through a plain pipe', value: round(pipe.mibPerSecond) },
      },
      {
        name: 'executor CPU per MiB of log',
        value: cpuPerMiB(live.executor),
        unit: 'ms',
        note: 'process CPU time while the step ran: steady on a busy machine',
      },
      { name: 'gateway CPU per MiB followed over SSE', value: cpuPerMiB(live.gateway), unit: 'ms' },
      { name: '  nats-server CPU per MiB', value: cpuPerMiB(live.nats), unit: 'ms' },
      {
        name: "  the step's processes (generator, sandbox) CPU per MiB",
        value: cpuPerMiB(live.step),
        unit: 'ms',
      },
      {
        name: "  the benchmark's SSE client CPU per MiB",
        value: cpuPerMiB(tail.cpuMs),
        unit: 'ms',
        note: 'this process while the worker read the events',
      },
      {
        name: 'live throughput these cores allow at that CPU per MiB',
        value: round((availableParallelism() * 1000) / livePathPerMiB),
        unit: 'MiB/s',
        baseline: { name: 'same generator through a plain pipe', value: round(pipe.mibPerSecond) },
        note: `upper bound: ${availableParallelism()} cores ÷ ${round(livePathPerMiB)} ms of CPU per MiB, every process above`,
      },
      {
        name: 'log lines received live',
        value: tail.lines,
        unit: 'lines',
        baseline: { name: 'lines written', value: tail.expected ?? -1 },
      },
      {
        name: 'archive throughput (JetStream → object)',
        value: round(archiveMiBs),
        unit: 'MiB/s',
        baseline: { name: 'cat of the archived bytes', value: round(copy) },
      },
      {
        name: 'archiver CPU per MiB archived',
        value: round(archiverCpuPerMiB),
        unit: 'ms',
        note: "process CPU time from the step's start to its log archived (it waits while the step runs)",
      },
      { name: 'archived log size', value: round(archive.bytes / MiB), unit: 'MiB' },
    ];
  } finally {
    await stack.stop();
  }
}

interface LivePathReading {
  gateway: number;
  apps: AppCpu;
}

/**
 * CPU time (ms) each platform process on the live path used while the log was followed: the
 * executor, the step's own processes (under the executor's spawner), nats-server and the gateway.
 * With the client's, their sum per MiB bounds the live throughput these cores can carry.
 */
function livePathCpu(
  before: LivePathReading,
  after: LivePathReading,
): { executor: number; step: number; nats: number; gateway: number } {
  const delta = (name: string, part: 'self' | 'children') =>
    (after.apps.get(name)?.[part] ?? 0) - (before.apps.get(name)?.[part] ?? 0);
  return {
    executor: delta('pod-executor', 'self'),
    step: delta('pod-executor', 'children'),
    nats: delta('nats-server', 'self'),
    gateway: after.gateway - before.gateway,
  };
}

/** Waits for the step to end and its log to be archived; the archiver's own timer gives the duration. */
async function archived(
  stack: Stack,
  stepId: string,
): Promise<{ key: string; bytes: number; seconds: number }> {
  const row = await waitFor(
    'the flood log to be archived',
    10 * 60_000,
    async () => {
      const { rows } = await stack.sql.query<{
        status: string;
        log_ref: string | null;
        log_bytes: string | null;
      }>('SELECT status, log_ref, log_bytes FROM steps WHERE id = $1', [stepId]);
      return rows[0]?.log_ref ? rows[0] : undefined;
    },
    200,
  );
  if (row.status !== 'succeeded') throw new Error(`the flood step ended ${row.status}`);
  const metrics = await (await fetch(`${stack.url('log-archiver')}/metrics`)).text();
  const sum = /^kiln_archiver_archive_seconds_sum(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(metrics);
  if (!sum) throw new Error('kiln_archiver_archive_seconds_sum not found in the archiver metrics');
  return { key: row.log_ref!, bytes: Number(row.log_bytes), seconds: Number(sum[1]) };
}

/** The generator writing into a pipe read by `cat > /dev/null`: the most its output can carry. */
function pipeThroughput(bytes: number): { mibPerSecond: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-flood-'));
  try {
    writeFileSync(join(dir, 'flood.js'), FLOOD_JS);
    const started = performance.now();
    execFileSync('/bin/sh', ['-c', `node flood.js ${bytes} | cat > /dev/null`], { cwd: dir });
    return { mibPerSecond: bytes / MiB / ((performance.now() - started) / 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `cat` copying the archived object to a new file. */
function catThroughput(file: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-cat-'));
  try {
    const started = performance.now();
    execFileSync('/bin/sh', ['-c', `cat "$0" > "$1"`, file, join(dir, 'copy.log')]);
    return statSync(file).size / MiB / ((performance.now() - started) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function follow(url: string, token: string): Promise<TailReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { url, token } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** Worker side: one SSE connection, parsed as it arrives, until `event: end`. */
function tailWorker(url: string, token: string): Promise<TailReport> {
  let capacity = 1 << 20;
  let latencies = new Int32Array(capacity);
  let lags = new Int32Array(capacity);
  const report: TailReport = {
    lines: 0,
    bytes: 0,
    latencies,
    executorLags: lags,
    firstAt: 0,
    lastAt: 0,
    expected: null,
    cpuMs: 0,
  };
  const grow = () => {
    capacity *= 2;
    const [l, g] = [new Int32Array(capacity), new Int32Array(capacity)];
    l.set(latencies);
    g.set(lags);
    [latencies, lags] = [l, g];
  };
  const onEvent = (event: string, now: number) => {
    if (!event.startsWith('id: ')) return;
    const data = event.slice(event.indexOf('\ndata: ') + 7);
    const { ts, text } = JSON.parse(data) as { ts: number | null; text: string };
    const space = text.indexOf(' ');
    const stamp = Number(text.slice(0, space));
    if (space !== 13 || !Number.isFinite(stamp)) {
      const done = /^flood done (\d+)$/.exec(text);
      if (done) report.expected = Number(done[1]);
      return;
    }
    if (report.lines === capacity) grow();
    latencies[report.lines] = now - stamp;
    lags[report.lines] = (ts ?? now) - stamp;
    report.lines++;
    report.bytes += Buffer.byteLength(text) + 1;
    report.firstAt ||= now;
    report.lastAt = now;
  };
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve) => {
    const finish = (error?: string) =>
      resolve({
        ...report,
        cpuMs: cpuMsSince(cpuBefore),
        latencies: latencies.slice(0, report.lines),
        executorLags: lags.slice(0, report.lines),
        ...(error ? { error } : {}),
      });
    const req = request(
      url,
      { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) return finish(`status ${res.statusCode}`);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (text: string) => {
          const now = Date.now();
          buffer += text;
          let start = 0;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n', start)) {
            const event = buffer.slice(start, end);
            start = end + 2;
            if (event.startsWith('event: end')) {
              res.destroy();
              return finish();
            }
            onEvent(event, now);
          }
          buffer = buffer.slice(start);
        });
        res.on('error', (error) => finish(error.message));
        res.on('end', () => finish());
      },
    );
    req.on('error', (error) => finish(error.message));
    req.end();
  });
}

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

if (!isMainThread && parentPort) {
  const { url, token } = workerData as { url: string; token: string };
  void tailWorker(url, token).then((report) => parentPort!.postMessage(report));
} else if (require.main === module) {
  runStandalone(run);
}
