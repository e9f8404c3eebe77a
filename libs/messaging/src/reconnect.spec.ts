import { Injectable } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { RunRequestedEvent } from '@kiln/contracts';
import { RunningNatsServer, startNatsServer } from '@kiln/testing';
import { EventConsumer } from './event-consumer.decorator';
import { MessagingService } from './messaging.service';
import {
  runCancel,
  runRequested,
  startMessagingApp,
  uniqueNatsPrefix,
  waitFor,
} from './messaging.spec-helper';

const received: string[] = [];

@Injectable()
class RunConsumer {
  @EventConsumer({ subject: 'kiln.run.requested', durable: 'spec-restart' })
  async handle(event: RunRequestedEvent): Promise<void> {
    received.push(event.runId);
  }
}

describe('a NATS server restart', () => {
  let server: RunningNatsServer;
  let app: TestingModule;

  beforeAll(async () => {
    server = await startNatsServer();
    app = await startMessagingApp({ prefix: uniqueNatsPrefix(), url: server.url, publishRetryMs: 20_000 }, [
      RunConsumer,
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('pauses publishing and consuming, then both carry on', async () => {
    const messaging = app.get(MessagingService);
    const publish = () => {
      const event = runRequested();
      return messaging.publish('kiln.run.requested', event, { msgId: event.runId }).then(() => event.runId);
    };
    const before = [await publish(), await publish()];
    await waitFor(() => received.length === 2, 5_000, 'messages before the restart');

    const restarting = server.restart();
    // Published while the server is down or recovering: publish retries until it is back.
    const during = await Promise.all([publish(), publish()]);
    await restarting;
    const after = [await publish(), await publish()];

    await waitFor(() => received.length >= 6, 30_000, 'messages after the restart');
    expect(new Set(received)).toEqual(new Set([...before, ...during, ...after]));
    await waitFor(() => messaging.isConnected(), 5_000, 'connected');
    await expect(messaging.ping()).resolves.toBeUndefined();
  });

  it('keeps broadcast subscriptions across the restart', async () => {
    const messaging = app.get(MessagingService);
    const heard: string[] = [];
    const stop = messaging.subscribeBroadcast('kiln.run.cancel', (e) => void heard.push(e.runId));
    await server.restart();
    await waitFor(() => messaging.isConnected(), 10_000, 'reconnected');
    const cancel = runCancel();
    await messaging.publish('kiln.run.cancel', cancel, { msgId: randomUUID() });
    await waitFor(() => heard.length === 1, 5_000, 'broadcast after restart');
    expect(heard).toEqual([cancel.runId]);
    stop();
  });
});
