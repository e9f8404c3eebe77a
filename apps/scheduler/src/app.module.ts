import { DbModule, PrismaService } from '@kiln/db';
import { MessagingModule, MessagingService } from '@kiln/messaging';
import { ObservabilityModule } from '@kiln/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from './config';
import { SchedulerModule } from './scheduler.module';

@Module({})
export class AppModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ObservabilityModule.forRoot({
          service: 'scheduler',
          logLevel: config.KILN_LOG_LEVEL,
          readiness: { database: PrismaService, nats: MessagingService },
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
          name: 'scheduler',
          prefix: config.KILN_NATS_PREFIX,
          logStreamMaxBytes: config.KILN_LOG_STREAM_MAX_BYTES,
        }),
        SchedulerModule,
      ],
      providers: [{ provide: SCHEDULER_CONFIG, useValue: config }],
      exports: [SCHEDULER_CONFIG],
    };
  }
}
