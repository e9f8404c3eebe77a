// Signed GitHub push deliveries, 20% of them replays, against the webhook receiver on a real
// PostgreSQL and NATS JetStream; beside it the same HTTP stack (body parsing with raw body,
// logger, error filter) answering a bare 202, the framework's ceiling. The load comes from a
// worker thread so client and server do not share an event loop.
import 'reflect-metadata';
import { generateKey, SecretBox } from '@kiln/crypto';
import { createPrismaClient } from '@kiln/db';
import { MessagingService } from '@kiln/messaging';
import { ObservabilityModule, startService } from '@kiln/observability';
import { createTestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { APP_FILTER } from '@nestjs/core';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig } from '../apps/webhook-receiver/src/config';
import { configureHttp, webhookErrorFilter } from '../apps/webhook-receiver/src/http/configure-http';
import { startWebhookReceiver } from '../apps/webhook-receiver/src/start';
import { threadCpuMs } from './support/proc';
import { deleteStreams } from './support/stack';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { percentile } from './support/stats';

const UNIQUE = 8000;
const REPLAY_SHARE = 0.2;
const CONCURRENCY = Number(process.env.KILN_BENCH_WEBHOOK_CONCURRENCY ?? 32);
const WARMUP = 500;
const REPO = { full_name: 'bench/webhook-ingest', clone_url: 'https://github.com/bench/webhook-ingest.git' };

interface Delivery {
  id: string;
  body: string;
  signature: string;
}

interface LoadReport {
  seconds: number;
  /** CPU time of this process's main thread (where the server runs) during the load, ms. */
  serverCpuMs: number;
  latenciesMs: number[];
  statuses: Record<number, number>;
  replayed: number;
}

/** A push payload shaped like GitHub's (about 2 KB), one commit sha per delivery. */
function pushBody(sha: string): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${REPO.full_name}/compare/${sha}`,
    commits: [
      {
        id: sha,
        message: 'Update README.md',
        timestamp: new Date(0).toISOString(),
        added: [],
        removed: [],
        modified: ['README.md'],
      },
    ],
    head_commit: { id: sha, message: 'Update README.md', author: { name: 'Bench', email: 'bench@kiln.dev' } },
    repository: {
      id: 1,
      name: 'webhook-ingest',
      ...REPO,
      ssh_url: `git@github.com:${REPO.full_name}.git`,
      html_url: `https://github.com/${REPO.full_name}`,
      private: false,
      default_branch: 'main',
    },
    pusher: { name: 'bench', email: 'bench@kiln.dev' },
    sender: { login: 'bench', id: 1, type: 'User' },
  });
}

/** The schedule: every unique delivery once, plus replays of deliveries sent well before them. */
function schedule(secret: string, count: number): Delivery[] {
  const unique: Delivery[] = Array.from({ length: count }, () => {
    const body = pushBody(randomUUID().replace(/-/g, '').padEnd(40, '0'));
    return {
      id: randomUUID(),
      body,
      signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    };
  });
  const all: Delivery[] = [];
  const wanted = Math.round((unique.length * REPLAY_SHARE) / (1 - REPLAY_SHARE));
  let replays = 0;
  unique.forEach((delivery, i) => {
    all.push(delivery);
    // A replay of a delivery answered a while ago; the ones that race their original are tested elsewhere.
    const earlier = i - CONCURRENCY * 4;
    if (earlier >= 0 && replays < wanted && i % 4 === 0) {
      all.push(unique[earlier]);
      replays++;
    }
  });
  for (let k = 0; replays < wanted; k++, replays++) all.push(unique[k]);
  return all;
}

@Controller()
class BareController {
  @Post('webhooks/:provider')
  @HttpCode(202)
  accept() {
    return { status: 'ignored', reason: 'bare ceiling' };
  }
}

@Module({
  controllers: [BareController],
  providers: [{ provide: APP_FILTER, useFactory: webhookErrorFilter }],
})
class BareModule {}

async function load(url: string, deliveries: Delivery[]): Promise<LoadReport> {
  const cpuBefore = threadCpuMs();
  const report = await new Promise<Omit<LoadReport, 'serverCpuMs'>>((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { url, deliveries, concurrency: CONCURRENCY } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { ...report, serverCpuMs: threadCpuMs() - cpuBefore };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const unique = scaled(ctx, Number(process.env.KILN_BENCH_WEBHOOK_DELIVERIES ?? UNIQUE), 500);
  const stops: (() => Promise<void>)[] = [];
  try {
    const db = await createTestDatabase();
    stops.push(() => db.drop());

    const config = loadConfig({
      DATABASE_URL: db.url,
      NATS_URL: process.env.NATS_URL,
      KILN_NATS_PREFIX: uniqueNatsPrefix(),
      KILN_SECRET_KEY: generateKey(),
      KILN_LOG_LEVEL: 'warn',
      KILN_MIGRATE_ON_START: 'false',
      KILN_WEBHOOK_RATE_LIMIT: '0',
      KILN_WEBHOOK_PORT: '0',
      KILN_DB_POOL_MAX: process.env.KILN_DB_POOL_MAX ?? '10',
    });
    stops.push(() => deleteStreams(config.NATS_URL, config.KILN_NATS_PREFIX));
    const secret = `whsec-${randomUUID()}`;
    const prisma = createPrismaClient(db.url);
    const projectId = randomUUID();
    await prisma.project.create({
      data: {
        id: projectId,
        name: 'bench',
        repoUrl: REPO.clone_url,
        repoFullName: REPO.full_name,
        provider: 'github',
        webhookSecretEnc: new SecretBox(config.KILN_SECRET_KEY).encrypt(secret, projectId),
        pipelines: { create: { name: 'ci' } },
      },
    });
    await prisma.$disconnect();

    const bareApp = {
      module: BareModule,
      imports: [ObservabilityModule.forRoot({ service: 'webhook-bare', logLevel: 'warn', readiness: {} })],
    };
    const bare = await startService(bareApp, {
      port: 0,
      rawBody: true,
      configure: (app) => configureHttp(app, config),
    });
    stops.push(() => bare.app.close());
    const receiver = await startWebhookReceiver(config, 0);
    stops.push(() => receiver.app.close());

    const deliveries = schedule(secret, unique);
    const warmup = schedule(secret, WARMUP).slice(0, WARMUP);
    await load(bare.url, warmup);
    const ceiling = await load(bare.url, deliveries);
    await load(receiver.url, warmup);
    const ingest = await load(receiver.url, deliveries);

    const messaging = receiver.app.get(MessagingService);
    const stream = await messaging.jsm.streams.info(
      `${config.KILN_NATS_PREFIX.replace(/\./g, '_')}KILN_EVENTS`,
    );
    const uniqueSent = new Set([...warmup, ...deliveries].map((d) => d.id)).size;
    const accepted = (report: LoadReport) => report.statuses[202] ?? 0;
    if (accepted(ingest) !== deliveries.length)
      throw new Error(`non-202 answers: ${JSON.stringify(ingest.statuses)}`);

    const rate = (r: LoadReport) => Math.round(r.latenciesMs.length / r.seconds);
    const cpuPerRequest = (r: LoadReport) => round(r.serverCpuMs / r.latenciesMs.length, 3);
    const round = (ms: number, digits = 2) => Math.round(ms * 10 ** digits) / 10 ** digits;
    const [sortedIngest, sortedCeiling] = [ingest, ceiling].map((r) =>
      [...r.latenciesMs].sort((a, b) => a - b),
    );
    return [
      {
        name: 'webhook deliveries/s (20% replays)',
        value: rate(ingest),
        unit: 'req/s',
        baseline: { name: 'bare 202, same stack', value: rate(ceiling) },
        note: `${deliveries.length} deliveries, ${CONCURRENCY} clients; goal ≥ 50 % of the ceiling`,
      },
      {
        name: 'webhook latency p50',
        value: round(percentile(sortedIngest, 0.5)),
        unit: 'ms',
        baseline: { name: 'bare 202 p50', value: round(percentile(sortedCeiling, 0.5)) },
      },
      {
        name: 'webhook latency p99',
        value: round(percentile(sortedIngest, 0.99)),
        unit: 'ms',
        baseline: { name: 'bare 202 p99', value: round(percentile(sortedCeiling, 0.99)) },
      },
      {
        name: 'receiver CPU per delivery (server thread)',
        value: cpuPerRequest(ingest),
        unit: 'ms',
        baseline: { name: 'bare 202 CPU per request', value: cpuPerRequest(ceiling) },
        note: 'thread CPU time: unaffected by other load on the machine; PostgreSQL and NATS not included',
      },
      {
        name: 'webhook replays answered as replays',
        value: ingest.replayed,
        unit: 'deliveries',
        baseline: { name: 'replays sent', value: deliveries.length - unique },
      },
      {
        name: 'webhook runs requested',
        value: stream.state.messages,
        unit: 'runs',
        baseline: { name: 'unique deliveries (warm-up included)', value: uniqueSent },
      },
    ];
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Worker side: `concurrency` keep-alive clients send the schedule in order and time each answer. */
async function drive(
  url: string,
  deliveries: Delivery[],
  concurrency: number,
): Promise<Omit<LoadReport, 'serverCpuMs'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/webhooks/github', url);
  const latenciesMs: number[] = [];
  const statuses: Record<number, number> = {};
  let replayed = 0;
  let next = 0;
  const send = (d: Delivery) =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(d.body),
            'x-github-event': 'push',
            'x-github-delivery': d.id,
            'x-hub-signature-256': d.signature,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            latenciesMs.push(performance.now() - started);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            if (Buffer.concat(chunks).includes('"replayed":true')) replayed++;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(d.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) await send(deliveries[next++]);
    }),
  );
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, latenciesMs, statuses, replayed };
}

if (!isMainThread && parentPort) {
  const { url, deliveries, concurrency } = workerData as {
    url: string;
    deliveries: Delivery[];
    concurrency: number;
  };
  void drive(url, deliveries, concurrency).then((report) => parentPort!.postMessage(report));
} else if (require.main === module) {
  runStandalone(run);
}
