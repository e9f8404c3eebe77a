import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { EventSubject } from '@kiln/contracts';
import { ConsumerRunner } from './consumer.runner';
import { consumerSettings } from './consumer-settings';
import { DeliveryProcessor } from './delivery.processor';
import { EVENT_CONSUMER_METADATA, EventConsumerOptions, EventHandler } from './event-consumer.decorator';
import { MessagingConnection } from './messaging.connection';

interface DiscoveredConsumer {
  options: EventConsumerOptions;
  handler: EventHandler<EventSubject>;
  owner: string;
}

/**
 * Finds every `@EventConsumer` method once the application has started, provisions its
 * durable and runs its pull loop; stops them all first thing at shutdown.
 */
@Injectable()
export class ConsumerRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConsumerRegistry.name);
  private readonly runners: ConsumerRunner[] = [];

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(MessagingConnection) private readonly connection: MessagingConnection,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const discovered = this.discover();
    const durables = new Map<string, string>();
    for (const { options, owner } of discovered) {
      const other = durables.get(options.durable);
      if (other) throw new Error(`durable "${options.durable}" is used by both ${other} and ${owner}`);
      durables.set(options.durable, owner);
    }
    for (const { options, handler } of discovered) {
      const settings = consumerSettings(options);
      const processor = new DeliveryProcessor(this.connection, settings, handler);
      const runner = new ConsumerRunner(this.connection, settings, processor);
      await runner.start();
      this.runners.push(runner);
      this.logger.log({ durable: settings.durable, subject: settings.subject }, 'consuming');
    }
  }

  /**
   * The first shutdown hook, so handlers can finish while the services they use are still up
   * (PrismaService disconnects in its onModuleDestroy: import MessagingModule after DbModule
   * and Nest runs this one first). The connection drains last, in onApplicationShutdown.
   */
  async onModuleDestroy(): Promise<void> {
    const timeoutMs = this.connection.options.shutdownTimeoutMs ?? 10_000;
    await Promise.all(this.runners.map((runner) => runner.stop(timeoutMs)));
    this.runners.length = 0;
  }

  private discover(): DiscoveredConsumer[] {
    const found: DiscoveredConsumer[] = [];
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // Request-scoped providers have no single instance to bind a long-lived consumer to.
      if (
        !instance ||
        typeof instance !== 'object' ||
        !wrapper.isDependencyTreeStatic() ||
        seen.has(instance)
      )
        continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, unknown>)[name];
        if (typeof method !== 'function') continue;
        const options = Reflect.getMetadata(EVENT_CONSUMER_METADATA, method) as
          EventConsumerOptions | undefined;
        if (!options) continue;
        found.push({
          options,
          handler: method.bind(instance) as EventHandler<EventSubject>,
          owner: `${instance.constructor.name}.${name}`,
        });
      }
    }
    return found;
  }
}
