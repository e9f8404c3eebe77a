import {
  ExecutorHeartbeatEvent,
  forEachLogLine,
  LogChunkEvent,
  StepDispatchedEvent,
  StepFinishedEvent,
  StepStartedEvent,
  Subjects,
} from '@kiln/contracts';
import { MessagingModule, MessagingService } from '@kiln/messaging';
import { startService } from '@kiln/observability';
import { uniqueNatsPrefix } from '@kiln/testing';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';

/** An executor started in this process against the real NATS server, and a client watching its events. */
export interface ExecutorHarness {
  url: string;
  prefix: string;
  dataDir: string;
  messaging: MessagingService;
  started: StepStartedEvent[];
  finished: StepFinishedEvent[];
  heartbeats: ExecutorHeartbeatEvent[];
  /** Publishes a dispatch (defaults: a fresh run and step, attempt 1) and returns it. */
  dispatch(overrides: Partial<StepDispatchedEvent>, msgId?: string): Promise<StepDispatchedEvent>;
  waitFor<T>(what: string, find: () => T | undefined, timeoutMs?: number): Promise<T>;
  finishedOf(step: Pick<StepDispatchedEvent, 'stepId'>, timeoutMs?: number): Promise<StepFinishedEvent>;
  /** The step's log chunks as stored in KILN_LOGS, in stream order. */
  chunksOf(step: Pick<StepDispatchedEvent, 'runId' | 'stepId'>): Promise<LogChunkEvent[]>;
  stopExecutor(): Promise<void>;
  stop(): Promise<void>;
}

export async function startExecutor(env: Record<string, string> = {}): Promise<ExecutorHarness> {
  const prefix = uniqueNatsPrefix();
  const natsUrl = process.env.NATS_URL!;
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-executor-e2e-'));
  const client = await NestFactory.createApplicationContext(
    MessagingModule.forRoot({ url: natsUrl, name: 'executor-e2e', prefix }),
    { logger: false },
  );
  const messaging = client.get(MessagingService);
  const started: StepStartedEvent[] = [];
  const finished: StepFinishedEvent[] = [];
  const heartbeats: ExecutorHeartbeatEvent[] = [];
  const unsubscribe = [
    messaging.subscribeBroadcast(Subjects.StepStarted, (e) => void started.push(e)),
    messaging.subscribeBroadcast(Subjects.StepFinished, (e) => void finished.push(e)),
    messaging.subscribeBroadcast(Subjects.ExecutorHeartbeat, (e) => void heartbeats.push(e)),
  ];
  const config = loadConfig({
    NATS_URL: natsUrl,
    KILN_NATS_PREFIX: prefix,
    KILN_DATA_DIR: dataDir,
    KILN_SANDBOX_NETWORK: 'false',
    KILN_LOG_LEVEL: 'warn',
    KILN_INTERNAL_TOKEN: 'internal-token-of-the-tests',
    ...env,
  });
  const { app, url } = await startService(AppModule.forRoot(config), { port: 0, host: '127.0.0.1' });
  let executor: INestApplicationContext | undefined = app;

  const waitFor = async <T>(what: string, find: () => T | undefined, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  return {
    url,
    prefix,
    dataDir,
    messaging,
    started,
    finished,
    heartbeats,
    async dispatch(overrides, msgId) {
      const event: StepDispatchedEvent = {
        version: 1,
        runId: randomUUID(),
        stepId: randomUUID(),
        projectId: randomUUID(),
        projectName: 'acme',
        stepName: 'build',
        attempt: 1,
        repoUrl: '',
        commitSha: '',
        gitRef: 'refs/heads/main',
        image: 'node:20',
        commands: ['true'],
        env: {},
        maskValues: [],
        timeoutMs: 60_000,
        deploy: false,
        ...overrides,
      };
      await messaging.publish(Subjects.StepDispatched, event, {
        msgId: msgId ?? `dispatch:${event.stepId}:${event.attempt}`,
      });
      return event;
    },
    waitFor,
    finishedOf(step, timeoutMs) {
      return waitFor(
        `kiln.step.finished of ${step.stepId}`,
        () => finished.find((f) => f.stepId === step.stepId),
        timeoutMs,
      );
    },
    async chunksOf(step) {
      const chunks: LogChunkEvent[] = [];
      for await (const entry of messaging.readStream(`${Subjects.Logs}.${step.runId}.${step.stepId}`)) {
        chunks.push(entry.data as LogChunkEvent);
        if (entry.pending === 0) break;
      }
      return chunks;
    },
    async stopExecutor() {
      await executor?.close();
      executor = undefined;
    },
    async stop() {
      await executor?.close();
      for (const off of unsubscribe) off();
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every line of the chunks, as `stream: text`. */
export function logText(chunks: LogChunkEvent[]): string[] {
  const lines: string[] = [];
  for (const chunk of chunks) forEachLogLine(chunk, (text, _ts, stream) => lines.push(`${stream}: ${text}`));
  return lines;
}
