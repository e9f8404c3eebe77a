import {
  encodeLogChunk,
  LogChunkEvent,
  logSubjectSuffix,
  StepFinishedEvent,
  StepLogArchivedEvent,
  Subjects,
} from '@kiln/contracts';
import { createPrismaClient, PrismaClient } from '@kiln/db';
import { MessagingConnection, MessagingModule, MessagingService } from '@kiln/messaging';
import { startService } from '@kiln/observability';
import { createRunRows, createTestDatabase, TestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';

export interface ArchiverApp {
  url: string;
  app: INestApplication;
  stop(): Promise<void>;
}

/** Test data and connections of one suite: its own database, NATS prefix and data directory. */
export interface ArchiverFixture {
  db: TestDatabase;
  prisma: PrismaClient;
  dataDir: string;
  /** Environment of an archiver on this fixture (storage: fs under dataDir unless overridden). */
  env: Record<string, string>;
  publisher: Publisher;
  cleanUp(): Promise<void>;
}

export async function createArchiverFixture(
  storageEnv: Record<string, string> = {},
): Promise<ArchiverFixture> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  const prefix = uniqueNatsPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-archiver-'));
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL!,
    KILN_NATS_PREFIX: prefix,
    KILN_DATA_DIR: dataDir,
    KILN_MIGRATE_ON_START: 'false',
    KILN_LOG_LEVEL: 'warn',
    ...storageEnv,
  };
  const publisher = await Publisher.open(prefix);
  return {
    db,
    prisma,
    dataDir,
    env,
    publisher,
    cleanUp: async () => {
      await publisher.close();
      await prisma.$disconnect();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The log-archiver in this process, on a free port. */
export async function startArchiver(env: Record<string, string>): Promise<ArchiverApp> {
  const { app, url } = await startService(AppModule.forRoot(loadConfig(env)), { port: 0 });
  return { app, url, stop: () => app.close() };
}

/** Publishes what an executor would: log chunks, then step.finished. */
export class Publisher {
  private constructor(
    private readonly context: INestApplicationContext,
    readonly messaging: MessagingService,
  ) {}

  static async open(prefix: string): Promise<Publisher> {
    const context = await NestFactory.createApplicationContext(
      MessagingModule.forRoot({ url: process.env.NATS_URL!, name: 'archiver-test-publisher', prefix }),
      { logger: false },
    );
    return new Publisher(context, context.get(MessagingService));
  }

  /** `msgKey` distinguishes deliberate re-publications, which the stream would otherwise drop. */
  async chunk(step: StepIds, seq: number, lines: string[], opts: ChunkOptions = {}): Promise<void> {
    const attempt = opts.attempt ?? 1;
    const chunk = logChunk(step, { attempt, seq, lines, final: opts.final ?? false });
    await this.messaging.publish(Subjects.Logs, chunk, {
      msgId: `log:${step.stepId}:${attempt}:${seq}${opts.msgKey ?? ''}`,
      suffix: logSubjectSuffix(step.runId, step.stepId),
    });
  }

  /** A chunk whose text is `text` as it is (bytes an executor, which encodes strings, never sends). */
  async rawChunk(step: StepIds, seq: number, lines: number, text: Buffer): Promise<void> {
    const { text: _none, ...fields } = logChunk(step, {
      attempt: 1,
      seq,
      lines: Array(lines).fill(''),
      final: true,
    });
    const data = Buffer.concat([Buffer.from(`${JSON.stringify(fields)}\n`), text]);
    await this.logBytes(step, data, `log:${step.stepId}:1:${seq}`);
  }

  /** A log chunk's bytes, published on the step's log subject as they are. */
  logBytes(step: StepIds, data: Uint8Array, msgID: string): Promise<unknown> {
    const { js, names } = this.context.get(MessagingConnection);
    const subject = names.subject(`${Subjects.Logs}.${logSubjectSuffix(step.runId, step.stepId)}`);
    return js.publish(subject, data, { msgID });
  }

  async finished(
    step: StepIds,
    opts: { attempt?: number; logChunks?: number; msgKey?: string } = {},
  ): Promise<void> {
    const attempt = opts.attempt ?? 1;
    const event: StepFinishedEvent = {
      version: 1,
      runId: step.runId,
      stepId: step.stepId,
      attempt,
      executorId: 'test-executor',
      status: 'succeeded',
      exitCode: 0,
      finishedAt: new Date().toISOString(),
      ...(opts.logChunks === undefined ? {} : { logChunks: opts.logChunks }),
    };
    await this.messaging.publish(Subjects.StepFinished, event, {
      msgId: `step-finished:${step.stepId}:${attempt}${opts.msgKey ?? ''}`,
    });
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export interface ChunkOptions {
  attempt?: number;
  final?: boolean;
  msgKey?: string;
}

export interface StepIds {
  runId: string;
  stepId: string;
  name: string;
}

/** A project, pipeline and run with one step row named `name` at `attempt`. */
export async function createStep(prisma: PrismaClient, name = 'build', attempt = 1): Promise<StepIds> {
  const { runId } = await createRunRows(prisma, 'running');
  const step = await prisma.step.create({
    data: {
      runId,
      name,
      position: 0,
      image: 'node:20',
      commands: ['make'],
      status: 'running',
      attempt,
    },
  });
  return { runId, stepId: step.id, name };
}

export function logKey(step: StepIds): string {
  return `logs/pipelines/${step.runId}/${step.name}.log`;
}

/**
 * The `kiln.step.log-archived` events the archiver published for a step so far, once `until` holds
 * for them (or the time is up). The scheduler, not the archiver, writes them into the step's row.
 */
export async function archivedLogs(
  publisher: Publisher,
  stepId: string,
  until: (events: StepLogArchivedEvent[]) => boolean,
  timeoutMs: number,
): Promise<StepLogArchivedEvent[]> {
  const events: StepLogArchivedEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const entry of publisher.messaging.readStream(Subjects.StepLogArchived, { signal })) {
    const event = entry.data as StepLogArchivedEvent;
    if (event.stepId === stepId) events.push(event);
    if (entry.pending === 0 && until(events)) break;
  }
  return events;
}

/** Waits until the archiver announced a log of the step; answers its newest attempt's. */
export async function waitForLogRef(
  publisher: Publisher,
  stepId: string,
  timeoutMs = 20_000,
): Promise<{ logRef: string; logBytes: bigint }> {
  const events = await archivedLogs(publisher, stepId, (e) => e.length > 0, timeoutMs);
  if (events.length === 0) throw new Error(`no log of step ${stepId} archived within ${timeoutMs} ms`);
  const newest = events.reduce((a, b) => (b.attempt >= a.attempt ? b : a));
  return { logRef: newest.logRef, logBytes: BigInt(newest.logBytes) };
}

/** The value of a counter on /metrics (summed over its label sets). */
export async function counterValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const pattern = new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm');
  let total = 0;
  for (const match of text.matchAll(pattern)) total += Number(match[2]);
  return total;
}

export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function lines(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
}

/**
 * Publishes `chunks` chunks of `perChunk` lines straight through JetStream (skipping the
 * publisher's per-chunk validation, which would make a 20 MB log slow to produce); answers the
 * text the archive must hold.
 */
export async function publishBigLog(
  fx: ArchiverFixture,
  step: StepIds,
  chunks: number,
  perChunk: number,
): Promise<string> {
  let text = '';
  for (let batch = 0; batch < chunks; batch += 100) {
    const sends: Promise<unknown>[] = [];
    for (let seq = batch; seq < Math.min(batch + 100, chunks); seq++) {
      const chunkLines = Array.from({ length: perChunk }, (_, i) => `${seq}:${i} ${'y'.repeat(100)}`);
      const chunk = logChunk(step, { attempt: 1, seq, lines: chunkLines, final: seq === chunks - 1 });
      text += chunk.text;
      sends.push(fx.publisher.logBytes(step, encodeLogChunk(chunk), `big:${step.stepId}:${seq}`));
    }
    await Promise.all(sends);
  }
  return text;
}

/** A log chunk of `step` holding `lines`, read now, from stdout. */
function logChunk(
  step: StepIds,
  { attempt, seq, lines, final }: { attempt: number; seq: number; lines: string[]; final: boolean },
): LogChunkEvent {
  return {
    version: 2,
    runId: step.runId,
    stepId: step.stepId,
    stepName: step.name,
    attempt,
    seq,
    text: lines.map((line) => `${line}\n`).join(''),
    spans: lines.length > 0 ? [{ ts: Date.now(), stream: 'stdout', lines: lines.length }] : [],
    final,
  };
}
