import { TestingModule } from '@nestjs/testing';
import { nanos } from '@nats-io/nats-core';
import { STREAMS } from '@kiln/contracts';
import { MessagingConnection } from './messaging.connection';
import { MessagingService } from './messaging.service';
import {
  deletePrefixedStreams,
  natsUrl,
  runRequested,
  startMessagingApp,
  uniqueNatsPrefix,
} from './messaging.spec-helper';
import { StreamProvisioner } from './stream.provisioner';

describe('stream provisioning', () => {
  const prefix = uniqueNatsPrefix();
  const apps: TestingModule[] = [];
  const start = async () => {
    const app = await startMessagingApp({ prefix });
    apps.push(app);
    return app;
  };

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await deletePrefixedStreams(prefix);
  });

  it('creates every stream of STREAMS under the prefix, on file storage with the contract limits', async () => {
    const app = await start();
    const { jsm, names } = app.get(MessagingConnection);
    for (const definition of STREAMS) {
      const { config } = await jsm.streams.info(names.stream(definition.name));
      expect(config.storage).toBe('file');
      expect(config.retention).toBe(definition.retention === 'workqueue' ? 'workqueue' : 'limits');
      expect(config.subjects).toEqual(definition.subjects.map((s) => `${prefix}${s}`));
      expect(config.max_age).toBe(nanos(definition.maxAgeMs));
      expect(config.max_bytes).toBe(definition.maxBytes ?? -1);
      expect(config.duplicate_window).toBe(nanos(definition.duplicateWindowMs));
    }
  });

  it('is idempotent and keeps the messages', async () => {
    const first = apps[0] ?? (await start());
    await first.get(MessagingService).publish('kiln.run.requested', runRequested(), { msgId: 'keep-me' });
    await first.get(StreamProvisioner).ensureAll();
    await start();
    const { jsm, names } = first.get(MessagingConnection);
    const info = await jsm.streams.info(names.stream('KILN_EVENTS'));
    expect(info.state.messages).toBe(1);
  });

  it('succeeds when several replicas create the streams at once', async () => {
    const fresh = uniqueNatsPrefix();
    try {
      const replicas = await Promise.all([1, 2, 3, 4].map(() => startMessagingApp({ prefix: fresh })));
      apps.push(...replicas);
      const { jsm, names } = replicas[0].get(MessagingConnection);
      const streams: string[] = [];
      for await (const name of jsm.streams.names()) if (name.startsWith(names.stream(''))) streams.push(name);
      expect(streams.sort()).toEqual(STREAMS.map((s) => names.stream(s.name)).sort());
    } finally {
      await deletePrefixedStreams(fresh);
    }
  });

  it('puts back a setting that drifted without deleting messages', async () => {
    const app = apps[0];
    const { jsm, names } = app.get(MessagingConnection);
    const name = names.stream('KILN_EVENTS');
    await jsm.streams.update(name, { max_age: nanos(20 * 60_000) });
    await app.get(StreamProvisioner).ensureAll();
    const info = await jsm.streams.info(name);
    expect(info.config.max_age).toBe(nanos(STREAMS[0].maxAgeMs));
    expect(info.state.messages).toBe(1);
  });

  it('leaves streams alone when provisioning is off', async () => {
    const other = uniqueNatsPrefix();
    const app = await startMessagingApp({ prefix: other, provisionStreams: false, url: natsUrl() });
    apps.push(app);
    const { jsm, names } = app.get(MessagingConnection);
    await expect(jsm.streams.info(names.stream('KILN_EVENTS'))).rejects.toThrow(/stream not found/);
  });
});
