import { storageSettings } from '@kiln/config';
import { DbModule, PrismaService } from '@kiln/db';
import { MessagingModule, MessagingService } from '@kiln/messaging';
import { ObservabilityModule } from '@kiln/observability';
import { OBJECT_STORAGE, StorageModule } from '@kiln/storage';
import { DynamicModule, Module } from '@nestjs/common';
import { ArchiveModule } from './archive/archive.module';
import { ARCHIVER_CONFIG, ArchiverConfig } from './config';

@Module({})
export class AppModule {
  static forRoot(config: ArchiverConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({
          service: 'log-archiver',
          logLevel: config.KILN_LOG_LEVEL,
          readiness: { database: PrismaService, nats: MessagingService, storage: OBJECT_STORAGE },
        }),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          poolMax: config.KILN_DB_POOL_MAX,
          statementTimeoutMs: config.KILN_DB_STATEMENT_TIMEOUT_MS,
        }),
        MessagingModule.forRoot({
          url: config.NATS_URL,
          user: config.KILN_NATS_USER,
          pass: config.KILN_NATS_PASSWORD,
          name: 'log-archiver',
          prefix: config.KILN_NATS_PREFIX,
          logStreamMaxBytes: config.KILN_LOG_STREAM_MAX_BYTES,
        }),
        StorageModule.forRoot(storageSettings(config)),
        ArchiveModule,
      ],
      providers: [{ provide: ARCHIVER_CONFIG, useValue: config }],
      exports: [ARCHIVER_CONFIG],
      global: true,
    };
  }
}
