import { TestingModule } from '@nestjs/testing';
import { nanos } from '@nats-io/nats-core';
import { DEFAULT_LOG_STREAM_MAX_BYTES, STREAMS } from '@kiln/contracts';
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
      const maxBytes =
        definition.maxBytes === 'logStreamMaxBytes' ? DEFAULT_LOG_STREAM_MAX_BYTES : definition.maxBytes;
      expect(config.max_bytes).toBe(maxBytes ?? -1);
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

  it("sizes KILN_LOGS by the installation's setting, grows it with the setting and never shrinks it", async () => {
    const fresh = uniqueNatsPrefix();
    try {
      const small = await startMessagingApp({ prefix: fresh, logStreamMaxBytes: 128 * 1024 * 1024 });
      apps.push(small);
      const { jsm, names } = small.get(MessagingConnection);
      const logs = names.stream('KILN_LOGS');
      expect((await jsm.streams.info(logs)).config.max_bytes).toBe(128 * 1024 * 1024);
      apps.push(await startMessagingApp({ prefix: fresh, logStreamMaxBytes: 256 * 1024 * 1024 }));
      expect((await jsm.streams.info(logs)).config.max_bytes).toBe(256 * 1024 * 1024);
      // An app with the smaller setting (an old replica, one not fed the same config) keeps it.
      apps.push(await startMessagingApp({ prefix: fresh, logStreamMaxBytes: 128 * 1024 * 1024 }));
      expect((await jsm.streams.info(logs)).config.max_bytes).toBe(256 * 1024 * 1024);
    } finally {
      await deletePrefixedStreams(fresh);
    }
  });

  it('names the setting to lower when the server cannot reserve the log stream', async () => {
    const fresh = uniqueNatsPrefix();
    try {
      // Far past any test server's JetStream storage (by default 75 % of its disk's free space).
      const start = startMessagingApp({ prefix: fresh, logStreamMaxBytes: 2 ** 52 });
      await expect(start).rejects.toThrow(
        /NATS cannot reserve \d+\.\d\d GiB of JetStream storage for stream \w+KILN_LOGS .*KILN_LOG_STREAM_MAX_BYTES/,
      );
    } finally {
      await deletePrefixedStreams(fresh);
    }
  });

  it('leaves streams alone when provisioning is off', async () => {
    const other = uniqueNatsPrefix();
    const app = await startMessagingApp({ prefix: other, provisionStreams: false, url: natsUrl() });
    apps.push(app);
    const { jsm, names } = app.get(MessagingConnection);
    await expect(jsm.streams.info(names.stream('KILN_EVENTS'))).rejects.toThrow(/stream not found/);
  });
});
