import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { createStorage } from './create-storage';
import { StorageConfig } from './storage.config';

/** Injection token of the application's `ObjectStorage`: `@Inject(OBJECT_STORAGE) storage: ObjectStorage`. */
export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');

export interface StorageModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => StorageConfig | Promise<StorageConfig>;
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
}

/** Provides OBJECT_STORAGE to the whole application (global: import it once, in the root module). */
@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [{ provide: OBJECT_STORAGE, useFactory: () => createStorage(config) }],
      exports: [OBJECT_STORAGE],
    };
  }

  /** For a config that comes from another provider, such as the validated env. */
  static forRootAsync(options: StorageModuleAsyncOptions): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: OBJECT_STORAGE,
          useFactory: async (...args: never[]) => createStorage(await options.useFactory(...args)),
          inject: options.inject ?? [],
        },
      ],
      exports: [OBJECT_STORAGE],
    };
  }
}
