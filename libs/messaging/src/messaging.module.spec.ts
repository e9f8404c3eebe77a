import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { register } from 'prom-client';
import { MessagingModule } from './messaging.module';
import { MessagingService } from './messaging.service';
import { deletePrefixedStreams, natsUrl, runRequested, uniqueNatsPrefix } from './messaging.spec-helper';

@Injectable()
class FakeConfig {
  readonly nats = { url: natsUrl(), prefix: uniqueNatsPrefix() };
}

@Module({ providers: [FakeConfig], exports: [FakeConfig] })
class FakeConfigModule {}

describe('MessagingModule.forRootAsync', () => {
  it('takes its options from another provider and counts what it publishes', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRootAsync({
          imports: [FakeConfigModule],
          inject: [FakeConfig],
          useFactory: (config: FakeConfig) => ({
            url: config.nats.url,
            name: 'spec',
            prefix: config.nats.prefix,
          }),
        }),
      ],
    }).compile();
    await moduleRef.init();
    try {
      const messaging = moduleRef.get(MessagingService);
      await messaging.ping();
      await messaging.publish('kiln.run.requested', runRequested(), { msgId: randomUUID() });
      const metrics = await register.getMetricsAsJSON();
      const published = metrics.find((m) => m.name === 'kiln_messaging_published_total');
      expect(published?.values).toEqual(
        expect.arrayContaining([expect.objectContaining({ labels: { subject: 'kiln.run.requested' } })]),
      );
    } finally {
      await moduleRef.close();
      await deletePrefixedStreams(moduleRef.get(FakeConfig).nats.prefix);
    }
  });
});
