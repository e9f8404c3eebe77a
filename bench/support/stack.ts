import { generateApiToken, generateKey } from '@kiln/crypto';
import {
  AppName,
  createGitRepo,
  createTestDatabase,
  githubHeaders,
  githubPushPayload,
  RunningApps,
  startApps,
  TestGitRepo,
  uniqueNatsPrefix,
} from '@kiln/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Every app but the executor, which benchmarks start with the settings they measure. */
export const CONTROL_APPS = [
  'gateway',
  'webhook-receiver',
  'scheduler',
  'log-archiver',
  'artifact-service',
] as const;

export interface BenchProject {
  id: string;
  repo: TestGitRepo;
  fullName: string;
  /** Sends a signed GitHub push of `sha` on main; answers once the receiver answered. */
  push(sha: string, deliveryId?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export interface Stack {
  env: Record<string, string>;
  dataDir: string;
  /** The stack's own database, for setting up data and reading timestamps. */
  sql: Client;
  url(app: AppName): string;
  /** Pid of the app's process (the current executor's for pod-executor). */
  pid(app: AppName): number | undefined;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  adminToken: string;
  /** Starts a pod-executor with these settings, stopping the one running before. */
  startExecutor(env?: Record<string, string>): Promise<void>;
  stopExecutor(): Promise<void>;
  /** Starts one more scheduler or executor beside the running ones (own data directory); stopped with the stack. */
  addReplica(app: 'scheduler' | 'pod-executor', env?: Record<string, string>): Promise<void>;
  /** Stops the replicas `addReplica` started. */
  stopReplicas(): Promise<void>;
  /** A git repository holding `files` and a GitHub project for it (default pipeline from .platform.yaml). */
  createProject(files: Record<string, string>): Promise<BenchProject & { sha: string }>;
  stop(): Promise<void>;
}

/**
 * The compiled apps (dist/) as real processes on a fresh database, NATS prefix and data
 * directory of the servers in DATABASE_URL / NATS_URL, like e2e/platform.ts, but with the
 * executor apart so a benchmark can start it with the settings it measures.
 */
export async function startStack(
  options: { executor?: Record<string, string> | false; env?: Record<string, string> } = {},
): Promise<Stack> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
  const adminToken = generateApiToken();
  const prefix = uniqueNatsPrefix();
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL ?? '',
    KILN_NATS_PREFIX: prefix,
    KILN_DATA_DIR: dataDir,
    KILN_SECRET_KEY: generateKey(),
    KILN_ADMIN_TOKEN: adminToken,
    // Shared by every process of the stack: executors started later (startExecutor, extra
    // replicas) must present the artifact-service's token and open the scheduler's secrets.
    KILN_INTERNAL_TOKEN: randomBytes(24).toString('hex'),
    KILN_EXECUTOR_KEY: randomBytes(32).toString('hex'),
    KILN_ALLOW_LOCAL_REPOS: 'true',
    // createGitRepo makes its repositories there.
    KILN_LOCAL_REPO_ROOTS: tmpdir(),
    KILN_STORAGE_DRIVER: 'fs',
    KILN_SANDBOX_NETWORK: 'false',
    KILN_MIGRATE_ON_START: 'false',
    KILN_LOG_LEVEL: 'info',
    // The benchmark client is one token at one address; the limits are not what is measured.
    KILN_RATE_LIMIT: '100000000',
    KILN_WEBHOOK_RATE_LIMIT: '0',
    // A way to profile the apps under a benchmark (e.g. `--require <a script starting the profiler>`).
    ...(process.env.KILN_BENCH_APP_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.KILN_BENCH_APP_NODE_OPTIONS }
      : {}),
    ...options.env,
  };
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  let apps: RunningApps | undefined;
  let executor: RunningApps | undefined;
  const repos: TestGitRepo[] = [];
  const replicas: RunningApps[] = [];

  const stopExecutor = async () => {
    await executor?.stop();
    executor = undefined;
  };
  const stopReplicas = async () => {
    for (const replica of replicas.splice(0)) await replica.stop();
  };
  const stop = async () => {
    await stopReplicas();
    await stopExecutor();
    await apps?.stop();
    await sql.end().catch(() => undefined);
    await db.drop();
    await deleteStreams(env.NATS_URL, prefix);
    rmSync(dataDir, { recursive: true, force: true });
    for (const repo of repos) repo.remove();
  };

  try {
    apps = await startApps(CONTROL_APPS, env);
  } catch (error) {
    await stop();
    throw error;
  }
  const running = apps;
  const url = (app: AppName) => (app === 'pod-executor' && executor ? executor : running).url(app);

  const api: Stack['api'] = async (method, path, body) => {
    const res = await fetch(`${running.url('gateway')}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const stack: Stack = {
    env,
    dataDir,
    sql,
    adminToken,
    url,
    pid: (app) => (app === 'pod-executor' ? executor?.pid(app) : running.pid(app)),
    api,
    async startExecutor(overrides = {}) {
      await stopExecutor();
      executor = await startApps(['pod-executor'], {
        ...env,
        KILN_ARTIFACT_SERVICE_URL: running.url('artifact-service'),
        ...overrides,
      });
    },
    stopExecutor,
    async addReplica(app, overrides = {}) {
      const replicaDir = join(dataDir, `replica-${replicas.length + 1}`);
      mkdirSync(replicaDir);
      replicas.push(
        await startApps([app], {
          ...env,
          KILN_ARTIFACT_SERVICE_URL: running.url('artifact-service'),
          KILN_DATA_DIR: replicaDir,
          ...overrides,
        }),
      );
    },
    stopReplicas,
    async createProject(files) {
      const repo = createGitRepo();
      repos.push(repo);
      const sha = repo.commit(files, 'bench');
      const fullName = `bench/${randomUUID()}`;
      const secret = `bench-${randomUUID()}`;
      const res = await api<{ id: string }>('POST', '/api/projects', {
        name: `bench-${randomUUID().slice(0, 8)}`,
        repo_url: repo.url,
        repo_full_name: fullName,
        provider: 'github',
        webhook_secret: secret,
      });
      if (res.status !== 201)
        throw new Error(`project not created: ${res.status} ${JSON.stringify(res.body)}`);
      const push = async (commitSha: string, deliveryId = randomUUID()) => {
        const body = JSON.stringify(githubPushPayload(repo, fullName, commitSha));
        const answer = await fetch(`${running.url('webhook-receiver')}/webhooks/github`, {
          method: 'POST',
          headers: githubHeaders('push', body, secret, deliveryId),
          body,
        });
        return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
      };
      return { id: res.body.id, repo, fullName, sha, push };
    },
    stop,
  };
  if (options.executor !== false) {
    try {
      await stack.startExecutor(options.executor ?? {});
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return stack;
}

/**
 * Removes the streams of a NATS prefix: a 200 MB log stays on the server's disk otherwise, and each
 * KILN_LOGS stream reserves its size (KILN_LOG_STREAM_MAX_BYTES) of the server's JetStream storage, so a few left behind
 * make the next stack's streams fail with "insufficient storage resources available".
 */
export async function deleteStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const namePrefix = prefix.replace(/\./g, '_');
    for await (const info of jsm.streams.list()) {
      if (info.config.name.startsWith(namePrefix)) await jsm.streams.delete(info.config.name);
    }
  } finally {
    await nc.close();
  }
}

/**
 * What a push started: a run the receiver names (inline pipelines), or the delivery whose run the
 * scheduler creates once it has read the commit (a pipeline read from the repository, the
 * benchmarks' `.platform.yaml`, is `pending_filter` in the answer).
 */
export function pushTarget(answer: { status: number; body: Record<string, unknown> }): {
  runId?: string;
  deliveryId?: string;
} {
  if (answer.status !== 202)
    throw new Error(`push not accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
  if (typeof answer.body.run_id === 'string') return { runId: answer.body.run_id };
  const recordId = answer.body.delivery_record_id;
  if (typeof recordId !== 'string')
    throw new Error(`push answered no delivery: ${JSON.stringify(answer.body)}`);
  return { deliveryId: recordId };
}

/** The run a push started, found by its delivery when the answer does not name it. */
export async function runOfPush(
  sql: Client,
  answer: { status: number; body: Record<string, unknown> },
  timeoutMs = 60_000,
): Promise<string> {
  const { runId, deliveryId } = pushTarget(answer);
  if (runId) return runId;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM runs WHERE delivery_id = $1 LIMIT 1', [
      deliveryId,
    ]);
    if (rows[0]) return rows[0].id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`delivery ${deliveryId} started no run within ${timeoutMs} ms`);
}
