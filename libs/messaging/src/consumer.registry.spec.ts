import { Global, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { LogChunkEvent, RunRequestedEvent, StepStartedEvent } from '@kiln/contracts';
import { DeadLetterHeaders } from './dead-letter.publisher';
import { EventConsumer, MessageContext } from './event-consumer.decorator';
import { MessagingConnection } from './messaging.connection';
import { MessagingModule } from './messaging.module';
import { MessagingService } from './messaging.service';
import {
  deletePrefixedStreams,
  natsUrl,
  logChunk,
  runRequested,
  startMessagingApp,
  uniqueNatsPrefix,
  waitFor,
} from './messaging.spec-helper';
import { PoisonMessageError } from './poison-message.error';

interface Delivery {
  runId: string;
  ctx: MessageContext;
  at: number;
}

/** Each test gets its own prefix, so durables start empty; behaviour is switched through `plan`. */
const plan = {
  failuresBeforeSuccess: 0,
  poison: false,
  deliveries: [] as Delivery[],
};

@Injectable()
class RunRequestedConsumer {
  @EventConsumer({
    subject: 'kiln.run.requested',
    durable: 'spec-runs',
    backoffMs: [200, 400],
    maxDeliver: 3,
  })
  async handle(event: RunRequestedEvent, ctx: MessageContext): Promise<void> {
    plan.deliveries.push({ runId: event.runId, ctx, at: Date.now() });
    if (plan.poison) throw new PoisonMessageError('refers to a project that will never exist');
    if (ctx.deliveryCount <= plan.failuresBeforeSuccess) throw new Error(`failure ${ctx.deliveryCount}`);
  }
}

/** Holds its handlers until released: for concurrency and shutdown tests. */
const gate = {
  running: 0,
  maxRunning: 0,
  finished: 0,
  seen: [] as { seq: number; deliveryCount: number; instance: string }[],
  release: () => undefined as void,
  released: Promise.resolve(),
  close() {
    this.released = new Promise<void>((resolve) => (this.release = resolve));
  },
};

@Injectable()
class SlowStepConsumer {
  static instance = 'a';

  @EventConsumer({ subject: 'kiln.step.started', durable: 'spec-slow', ackWaitMs: 2_000, concurrency: 3 })
  async handle(_event: StepStartedEvent, ctx: MessageContext): Promise<void> {
    gate.seen.push({
      seq: ctx.streamSeq,
      deliveryCount: ctx.deliveryCount,
      instance: SlowStepConsumer.instance,
    });
    gate.running++;
    gate.maxRunning = Math.max(gate.maxRunning, gate.running);
    try {
      await gate.released;
    } finally {
      gate.running--;
      gate.finished++;
    }
  }
}

@Injectable()
class LogConsumer {
  static chunks: { subject: string; seq: number }[] = [];

  @EventConsumer({ subject: 'kiln.logs', durable: 'spec-logs' })
  async handle(chunk: LogChunkEvent, ctx: MessageContext): Promise<void> {
    // A little latency makes any reordering under concurrency visible.
    await new Promise((resolve) => setTimeout(resolve, chunk.seq % 3));
    LogConsumer.chunks.push({ subject: ctx.subject, seq: chunk.seq });
  }
}

@Injectable()
class ClashingConsumer {
  @EventConsumer({ subject: 'kiln.run.finished', durable: 'spec-runs' })
  async handle(): Promise<void> {}
}

/** Stands for PrismaService, which disconnects in onModuleDestroy. */
@Injectable()
class FakeDatabase implements OnModuleDestroy {
  static handlersFinishedAtDisconnect = -1;
  onModuleDestroy(): void {
    FakeDatabase.handlersFinishedAtDisconnect = gate.finished;
  }
}

@Global()
@Module({ providers: [FakeDatabase], exports: [FakeDatabase] })
class FakeDatabaseModule {}

function stepStarted(): StepStartedEvent {
  return {
    version: 1,
    runId: randomUUID(),
    stepId: randomUUID(),
    attempt: 1,
    executorId: 'spec',
    sandboxName: 'spec-sandbox',
    startedAt: new Date().toISOString(),
  };
}

describe('@EventConsumer', () => {
  let prefix: string;
  const apps: TestingModule[] = [];
  const start = async (providers: unknown[] = [RunRequestedConsumer], extra = {}) => {
    const app = await startMessagingApp({ prefix, ...extra }, providers as never[]);
    apps.push(app);
    return app;
  };
  const consumerInfo = (app: TestingModule, stream: string, durable: string) => {
    const { jsm, names } = app.get(MessagingConnection);
    return jsm.consumers.info(names.stream(stream), names.durable(durable));
  };
  const deadLetters = async (app: TestingModule, subject: string) => {
    const { jsm, names } = app.get(MessagingConnection);
    const stored = await jsm.streams.getMessage(names.stream('KILN_DEAD'), {
      last_by_subj: names.subject(`kiln.dead.${subject}`),
    });
    return stored;
  };

  beforeEach(() => {
    prefix = uniqueNatsPrefix();
    Object.assign(plan, { failuresBeforeSuccess: 0, poison: false, deliveries: [] });
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefixedStreams(prefix);
  });

  it('hands each message to the handler once and acks it', async () => {
    const app = await start();
    const event = runRequested();
    await app.get(MessagingService).publish('kiln.run.requested', event, { msgId: event.runId });
    await app.get(MessagingService).publish('kiln.run.requested', event, { msgId: event.runId });
    await waitFor(() => plan.deliveries.length === 1, 5_000, 'delivery');
    const { ctx } = plan.deliveries[0];
    expect(ctx).toMatchObject({ subject: 'kiln.run.requested', deliveryCount: 1, msgId: event.runId });
    await waitFor(async () => (await consumerInfo(app, 'KILN_EVENTS', 'spec-runs')).num_ack_pending === 0);
    const info = await consumerInfo(app, 'KILN_EVENTS', 'spec-runs');
    expect(info).toMatchObject({ num_pending: 0, num_redelivered: 0 });
    expect(info.config).toMatchObject({
      ack_policy: 'explicit',
      filter_subject: `${prefix}kiln.run.requested`,
    });
    expect(plan.deliveries).toHaveLength(1);
  });

  it('redelivers after a failure with the configured backoff until the handler succeeds', async () => {
    plan.failuresBeforeSuccess = 2;
    const app = await start();
    const event = runRequested();
    await app.get(MessagingService).publish('kiln.run.requested', event, { msgId: event.runId });
    await waitFor(() => plan.deliveries.length === 3, 10_000, 'three deliveries');
    expect(plan.deliveries.map((d) => d.ctx.deliveryCount)).toEqual([1, 2, 3]);
    const gaps = plan.deliveries.slice(1).map((d, i) => d.at - plan.deliveries[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(180);
    expect(gaps[1]).toBeGreaterThanOrEqual(380);
    await waitFor(async () => (await consumerInfo(app, 'KILN_EVENTS', 'spec-runs')).num_ack_pending === 0);
    expect(await deadLetters(app, 'kiln.run.requested').catch(() => null)).toBeNull();
  });

  it('dead-letters an invalid payload without calling the handler or redelivering it', async () => {
    const app = await start();
    const { js, names } = app.get(MessagingConnection);
    await js.publish(names.subject('kiln.run.requested'), JSON.stringify({ version: 1, runId: 'nope' }));
    await js.publish(names.subject('kiln.run.requested'), 'not json');
    await waitFor(
      async () => (await consumerInfo(app, 'KILN_EVENTS', 'spec-runs')).ack_floor.stream_seq === 2,
    );
    const dead = await deadLetters(app, 'kiln.run.requested');
    expect(dead?.string()).toBe('not json');
    expect(dead?.header.get(DeadLetterHeaders.Reason)).toMatch(/not JSON/);
    const { state } = await app.get(MessagingConnection).jsm.streams.info(names.stream('KILN_DEAD'));
    expect(state.messages).toBe(2);
    expect(plan.deliveries).toHaveLength(0);
    const info = await consumerInfo(app, 'KILN_EVENTS', 'spec-runs');
    expect(info).toMatchObject({ num_ack_pending: 0, num_redelivered: 0 });
  });

  it('dead-letters a message whose handler throws PoisonMessageError on the first delivery', async () => {
    plan.poison = true;
    const app = await start();
    const event = runRequested();
    await app.get(MessagingService).publish('kiln.run.requested', event, { msgId: event.runId });
    await waitFor(async () => (await deadLetters(app, 'kiln.run.requested').catch(() => null)) !== null);
    const dead = await deadLetters(app, 'kiln.run.requested');
    expect(dead?.json()).toMatchObject({ runId: event.runId });
    expect(dead?.header.get(DeadLetterHeaders.Reason)).toBe('refers to a project that will never exist');
    expect(dead?.header.get(DeadLetterHeaders.MsgId)).toBe(event.runId);
    expect(plan.deliveries).toHaveLength(1);
  });

  it('dead-letters a message that still fails on its last allowed delivery', async () => {
    plan.failuresBeforeSuccess = 99;
    const app = await start();
    const event = runRequested();
    await app.get(MessagingService).publish('kiln.run.requested', event, { msgId: event.runId });
    await waitFor(
      async () => (await deadLetters(app, 'kiln.run.requested').catch(() => null)) !== null,
      10_000,
    );
    const dead = await deadLetters(app, 'kiln.run.requested');
    expect(dead?.header.get(DeadLetterHeaders.Deliveries)).toBe('3');
    expect(dead?.header.get(DeadLetterHeaders.Reason)).toMatch(/failed 3 times, last: failure 3/);
    await waitFor(async () => (await consumerInfo(app, 'KILN_EVENTS', 'spec-runs')).num_ack_pending === 0);
    expect(plan.deliveries.map((d) => d.ctx.deliveryCount)).toEqual([1, 2, 3]);
  });

  it('runs up to `concurrency` handlers at once', async () => {
    Object.assign(gate, { running: 0, maxRunning: 0, finished: 0, seen: [] });
    gate.close();
    const app = await start([SlowStepConsumer]);
    for (let i = 0; i < 5; i++) {
      await app.get(MessagingService).publish('kiln.step.started', stepStarted(), { msgId: randomUUID() });
    }
    await waitFor(() => gate.running === 3, 5_000, 'three handlers in flight');
    gate.release();
    await waitFor(() => gate.seen.length === 5, 5_000, 'all five');
    expect(gate.maxRunning).toBe(3);
  });

  it('keeps the order of log chunks and passes the full subject', async () => {
    LogConsumer.chunks = [];
    const app = await start([LogConsumer]);
    const [runId, stepId] = [randomUUID(), randomUUID()];
    for (let seq = 0; seq < 20; seq++) {
      await app.get(MessagingService).publish('kiln.logs', logChunk(runId, stepId, seq, seq === 19), {
        msgId: `${runId}.${stepId}.${seq}`,
        suffix: `${runId}.${stepId}`,
      });
    }
    await waitFor(() => LogConsumer.chunks.length === 20, 5_000, 'twenty chunks');
    expect(LogConsumer.chunks.map((c) => c.seq)).toEqual([...Array(20).keys()]);
    expect(new Set(LogConsumer.chunks.map((c) => c.subject))).toEqual(
      new Set([`kiln.logs.${runId}.${stepId}`]),
    );
  });

  it('waits for handlers at shutdown and leaves the unfinished ones to the next instance', async () => {
    Object.assign(gate, { running: 0, maxRunning: 0, finished: 0, seen: [] });
    gate.close();
    SlowStepConsumer.instance = 'a';
    const first = await start([SlowStepConsumer], { shutdownTimeoutMs: 300 });
    await first.get(MessagingService).publish('kiln.step.started', stepStarted(), { msgId: randomUUID() });
    await waitFor(() => gate.running === 1, 5_000, 'handler in flight');
    const closedAt = Date.now();
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(Date.now() - closedAt).toBeLessThan(8_000);

    const releaseStuck = gate.release;
    gate.released = Promise.resolve();
    SlowStepConsumer.instance = 'b';
    await start([SlowStepConsumer]);
    await waitFor(() => gate.seen.length === 2, 10_000, 'redelivery to the next instance');
    expect(gate.seen.map(({ instance, deliveryCount }) => [instance, deliveryCount])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    releaseStuck();
  });

  it('lets shutdown finish a handler that completes in time, and acks it', async () => {
    Object.assign(gate, { running: 0, maxRunning: 0, finished: 0, seen: [] });
    gate.close();
    const app = await start([SlowStepConsumer], { shutdownTimeoutMs: 5_000 });
    await app.get(MessagingService).publish('kiln.step.started', stepStarted(), { msgId: randomUUID() });
    await waitFor(() => gate.running === 1, 5_000, 'handler in flight');
    const closing = app.close();
    setTimeout(() => gate.release(), 300);
    await closing;
    apps.splice(apps.indexOf(app), 1);
    const observer = await start([]);
    const info = await consumerInfo(observer, 'KILN_EVENTS', 'spec-slow');
    expect(info).toMatchObject({ num_ack_pending: 0, num_pending: 0 });
    expect(info.ack_floor.stream_seq).toBe(1);
  });

  it('refuses two handlers with the same durable name', async () => {
    await expect(start([RunRequestedConsumer, ClashingConsumer])).rejects.toThrow(
      /durable "spec-runs" is used by both/,
    );
  });

  it('lets handlers finish before a database module imported ahead of it disconnects', async () => {
    Object.assign(gate, { running: 0, maxRunning: 0, finished: 0, seen: [] });
    gate.close();
    const app = await Test.createTestingModule({
      imports: [FakeDatabaseModule, MessagingModule.forRoot({ url: natsUrl(), name: 'spec', prefix })],
      providers: [SlowStepConsumer],
    }).compile();
    await app.init();
    await app.get(MessagingService).publish('kiln.step.started', stepStarted(), { msgId: randomUUID() });
    await waitFor(() => gate.running === 1, 5_000, 'handler in flight');
    setTimeout(() => gate.release(), 300);
    await app.close();
    expect(FakeDatabase.handlersFinishedAtDisconnect).toBe(1);
  });
});
