import { decodeLogChunk } from '@kiln/contracts';
import { migrate } from '@kiln/db';
import { freePort, RunningNatsServer, startNatsServer, uniqueNatsPrefix } from '@kiln/testing';
import { jetstream, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { Platform, startPlatform } from '../platform';

/** A message seen on one of the tapped subjects, kept so the test can publish copies of it. */
export interface TappedMessage {
  /** Contract subject, without the test's prefix. */
  subject: string;
  data: Uint8Array;
  payload: Record<string, unknown>;
}

const TAPPED = ['kiln.run.requested', 'kiln.step.dispatched', 'kiln.step.started', 'kiln.step.finished'];

/**
 * The whole platform (six app processes) on a PostgreSQL and a NATS server of its own, so
 * the test may stop and restart both; plus direct access to the database and the bus.
 */
export interface ChaosPlatform {
  platform: Platform;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops PostgreSQL (fast shutdown: every connection is cut) until `startPostgres`. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  restartNats(): Promise<void>;
  /** Every message seen so far on the run and step subjects, in the order seen. */
  tapped(): TappedMessage[];
  /**
   * Log chunks (`<stepId>:<attempt>:<seq>`) published with different content: two executions
   * of one step attempt sent their output. A repeated publish of the same chunk is not counted.
   */
  divergentLogChunks(): string[];
  /** Publishes `data` on `subject` without a message id, so JetStream stores it as a new message. */
  publishCopy(subject: string, data: Uint8Array): Promise<void>;
  /** Messages of a durable consumer not yet acknowledged (waiting or in flight). */
  unsettled(durable: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startChaosPlatform(env: Record<string, string>): Promise<ChaosPlatform> {
  const pgDir = mkdtempSync(join(tmpdir(), 'kiln-chaos-pg-'));
  const natsDir = mkdtempSync(join(tmpdir(), 'kiln-chaos-nats-'));
  const port = await freePort();
  let postgres: ChildProcess | undefined = await startPostgres(pgDir, port);
  let nats: RunningNatsServer | undefined;
  const databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/kiln_chaos`;
  const natsPrefix = uniqueNatsPrefix();
  let platform: Platform;
  try {
    nats = await startNatsServer({ storeDir: natsDir });
    const admin = new Client({ connectionString: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE kiln_chaos');
    await admin.end();
    await migrate(databaseUrl);
    // The overrides point every app at this PostgreSQL and NATS; the database startPlatform makes
    // on the suite's shared server stays unused (and is dropped by platform.stop()).
    platform = await startPlatform({ DATABASE_URL: databaseUrl, NATS_URL: nats.url, KILN_NATS_PREFIX: natsPrefix, ...env });
  } catch (error) {
    await nats?.stop();
    await stopPostgres(postgres);
    rmSync(pgDir, { recursive: true, force: true });
    rmSync(natsDir, { recursive: true, force: true });
    throw error;
  }
  const natsServer = nats;
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  // Idle clients see their connection cut while PostgreSQL is stopped; the pool replaces them.
  pool.on('error', () => undefined);
  const bus = await openBus(natsServer.url, natsPrefix);

  return {
    platform,
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async stopPostgres() {
      if (postgres) await stopPostgres(postgres);
      postgres = undefined;
    },
    async startPostgres() {
      postgres = await startPostgres(pgDir, port);
    },
    restartNats: () => natsServer.restart(),
    tapped: () => [...bus.messages],
    divergentLogChunks: () => [...bus.logChunks].filter(([, versions]) => versions.size > 1).map(([key]) => key),
    async publishCopy(subject, data) {
      await bus.js.publish(`${natsPrefix}${subject}`, data);
    },
    async unsettled(durable) {
      const name = natsPrefix.replace(/\./g, '_');
      const info = await bus.jsm.consumers.info(streamOf(name, durable), `${name}${durable}`);
      return info.num_pending + info.num_ack_pending;
    },
    async stop() {
      bus.subscriptions.forEach((s) => s.unsubscribe());
      await bus.nc.close();
      await pool.end();
      await platform.stop();
      if (postgres) await stopPostgres(postgres);
      await natsServer.stop();
      rmSync(pgDir, { recursive: true, force: true });
      rmSync(natsDir, { recursive: true, force: true });
    },
  };
}

const POSTGRES_PROCESS = resolve(__dirname, '../../dist/e2e/chaos/postgres-process.js');

function startPostgres(dir: string, port: number): Promise<ChildProcess> {
  if (!existsSync(POSTGRES_PROCESS)) throw new Error(`${POSTGRES_PROCESS} is missing: run \`node scripts/build.js\` first`);
  const child = spawn(process.execPath, [POSTGRES_PROCESS, dir, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL not ready after 30 s:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (!output.includes('ready\n')) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolveReady(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL process exited with ${code}:\n${output}`));
    });
  });
}

async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Bus {
  nc: NatsConnection;
  js: ReturnType<typeof jetstream>;
  jsm: JetStreamManager;
  subscriptions: Subscription[];
  messages: TappedMessage[];
  /** Digests of every version of each log chunk seen. */
  logChunks: Map<string, Set<string>>;
}

async function openBus(url: string, prefix: string): Promise<Bus> {
  const nc = await connect({ servers: url, name: 'chaos-test', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const messages: TappedMessage[] = [];
  const decoder = new TextDecoder();
  // Plain subscriptions see every message published on the subjects, JetStream or not.
  const subscriptions = TAPPED.map((subject) =>
    nc.subscribe(`${prefix}${subject}`, {
      callback: (err: Error | null, msg: Msg) => {
        if (err) return;
        messages.push({ subject, data: msg.data, payload: JSON.parse(decoder.decode(msg.data)) as Record<string, unknown> });
      },
    }),
  );
  const logChunks = new Map<string, Set<string>>();
  subscriptions.push(
    nc.subscribe(`${prefix}kiln.logs.>`, {
      callback: (err: Error | null, msg: Msg) => {
        if (err) return;
        const chunk = decodeLogChunk(msg.data) as { stepId: string; attempt: number; seq: number };
        const key = `${chunk.stepId}:${chunk.attempt}:${chunk.seq}`;
        const versions = logChunks.get(key) ?? new Set<string>();
        versions.add(createHash('sha1').update(msg.data).digest('hex'));
        logChunks.set(key, versions);
      },
    }),
  );
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), subscriptions, messages, logChunks };
}

// The durables of the apps (their consumer decorators) and the stream each reads.
function streamOf(namePrefix: string, durable: string): string {
  return `${namePrefix}${durable === 'pod-executor' ? 'KILN_DISPATCH' : 'KILN_EVENTS'}`;
}
