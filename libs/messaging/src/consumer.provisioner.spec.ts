import { TestingModule } from '@nestjs/testing';
import { nanos } from '@nats-io/nats-core';
import { ensureConsumer } from './consumer.provisioner';
import { consumerSettings } from './consumer-settings';
import { MessagingConnection } from './messaging.connection';
import { deletePrefixedStreams, startMessagingApp, uniqueNatsPrefix } from './messaging.spec-helper';

describe('consumer provisioning', () => {
  const prefix = uniqueNatsPrefix();
  let app: TestingModule;
  let connection: MessagingConnection;

  beforeAll(async () => {
    app = await startMessagingApp({ prefix });
    connection = app.get(MessagingConnection);
  });

  afterAll(async () => {
    await app.close();
    await deletePrefixedStreams(prefix);
  });

  it('creates a durable pull consumer with explicit ack, one spare delivery and the ack wait', async () => {
    const info = await ensureConsumer(
      connection,
      consumerSettings({ subject: 'kiln.logs', durable: 'archiver', maxDeliver: 4, ackWaitMs: 5_000 }),
    );
    expect(info.name).toBe(connection.names.durable('archiver'));
    expect(info.config).toMatchObject({
      durable_name: connection.names.durable('archiver'),
      filter_subject: `${prefix}kiln.logs.>`,
      ack_policy: 'explicit',
      deliver_policy: 'all',
      max_deliver: 5,
      ack_wait: nanos(5_000),
    });
    expect(info.config.deliver_subject).toBeUndefined();
  });

  it('is idempotent when replicas create it at once, and updates changed limits', async () => {
    const settings = consumerSettings({ subject: 'kiln.step.dispatched', durable: 'executors' });
    const infos = await Promise.all([1, 2, 3].map(() => ensureConsumer(connection, settings)));
    expect(new Set(infos.map((i) => i.name)).size).toBe(1);
    const changed = await ensureConsumer(connection, { ...settings, maxDeliver: 2, ackWaitMs: 60_000 });
    expect(changed.config).toMatchObject({ max_deliver: 3, ack_wait: nanos(60_000) });
  });

  it('refuses to reuse a durable that filters another subject', async () => {
    await ensureConsumer(
      connection,
      consumerSettings({ subject: 'kiln.run.requested', durable: 'scheduler' }),
    );
    await expect(
      ensureConsumer(connection, consumerSettings({ subject: 'kiln.run.finished', durable: 'scheduler' })),
    ).rejects.toThrow(/delete it or choose another durable/);
  });

  it('validates the options', () => {
    expect(() => consumerSettings({ subject: 'kiln.run.requested', durable: 'a.b' })).toThrow(
      /invalid durable/,
    );
    expect(() => consumerSettings({ subject: 'kiln.run.requested', durable: 'x', concurrency: 0 })).toThrow(
      /concurrency/,
    );
  });
});
