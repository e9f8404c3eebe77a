import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { DB_OPTIONS, DbOptions } from './db.options';
import { PrismaService } from './prisma.service';

export interface DbModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => DbOptions | Promise<DbOptions>;
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
}

/** Provides `PrismaService` to the whole application (global: import it once, in the root module). */
@Module({})
export class DbModule {
  static forRoot(options: DbOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      providers: [{ provide: DB_OPTIONS, useValue: options }, PrismaService],
      exports: [PrismaService],
    };
  }

  /** For options that come from another provider, such as the validated config. */
  static forRootAsync(options: DbModuleAsyncOptions): DynamicModule {
    return {
      module: DbModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: DB_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        PrismaService,
      ],
      exports: [PrismaService],
    };
  }
}
