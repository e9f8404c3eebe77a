import { ConsoleLogger, Provider } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogChunkEvent, RunCancelEvent, RunRequestedEvent, STREAMS } from '@kiln/contracts';
import { uniqueNatsPrefix } from '@kiln/testing';
import { MessagingConnection } from './messaging.connection';
import { MessagingModule } from './messaging.module';
import { MessagingModuleOptions } from './messaging.options';
import { SubjectNames } from './subject-names';

/** Set KILN_TEST_LOGS=1 to see what the module logs (dead letters, retries, reconnects). */
const quietLogger = new ConsoleLogger({
  logLevels: process.env.KILN_TEST_LOGS ? ['log', 'warn', 'error'] : ['fatal'],
});

export const natsUrl = (): string => process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export { uniqueNatsPrefix };

/** A Nest application context with MessagingModule and the given providers, started (consumers run). */
export async function startMessagingApp(
  options: Partial<MessagingModuleOptions> & { prefix: string },
  providers: Provider[] = [],
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ url: natsUrl(), name: 'messaging-spec', ...options })],
    providers,
  })
    .setLogger(quietLogger)
    .compile();
  try {
    await moduleRef.init();
  } catch (err) {
    // Nest's close() rethrows a failed init, so close the connection by hand.
    await moduleRef.get(MessagingConnection).onApplicationShutdown();
    throw err;
  }
  return moduleRef;
}

/** Deletes the streams (and so the consumers) a test created under its prefix. */
export async function deletePrefixedStreams(prefix: string, url = natsUrl()): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const names = new SubjectNames(prefix);
    for (const stream of STREAMS) {
      await jsm.streams.delete(names.stream(stream.name)).catch(() => false);
    }
  } finally {
    await nc.close();
  }
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function runRequested(overrides: Partial<RunRequestedEvent> = {}): RunRequestedEvent {
  return {
    version: 1,
    runId: randomUUID(),
    projectId: randomUUID(),
    pipelineId: randomUUID(),
    trigger: 'manual',
    triggeredBy: 'spec',
    event: 'manual',
    gitRef: 'refs/heads/main',
    applyTriggerFilters: false,
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

export function runCancel(overrides: Partial<RunCancelEvent> = {}): RunCancelEvent {
  return { version: 1, runId: randomUUID(), requestedBy: 'spec', reason: 'test', ...overrides };
}

export function logChunk(runId: string, stepId: string, seq: number, final = false): LogChunkEvent {
  return {
    version: 2,
    runId,
    stepId,
    stepName: 'build',
    attempt: 1,
    seq,
    text: `line ${seq}\n`,
    spans: [{ ts: Date.now(), stream: 'stdout', lines: 1 }],
    final,
  };
}
