import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConsumerRegistry } from './consumer.registry';
import { MessagingConnection } from './messaging.connection';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import { MessagingService } from './messaging.service';
import { StreamProvisioner } from './stream.provisioner';

export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
}

/**
 * JetStream for the whole application (global: import it once, in the root module): the
 * connection, stream provisioning, `MessagingService` and every `@EventConsumer` method.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return MessagingModule.build({ provide: MESSAGING_OPTIONS, useValue: options }, []);
  }

  /** For options that come from another provider, such as the validated config. */
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    const optionsProvider: Provider = {
      provide: MESSAGING_OPTIONS,
      useFactory: options.useFactory,
      inject: options.inject ?? [],
    };
    return MessagingModule.build(optionsProvider, options.imports ?? []);
  }

  private static build(
    optionsProvider: Provider,
    imports: NonNullable<ModuleMetadata['imports']>,
  ): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        optionsProvider,
        {
          provide: MessagingConnection,
          useFactory: (options: MessagingModuleOptions) => MessagingConnection.open(options),
          inject: [MESSAGING_OPTIONS],
        },
        StreamProvisioner,
        MessagingService,
        ConsumerRegistry,
      ],
      exports: [MessagingService, MessagingConnection],
    };
  }
}
