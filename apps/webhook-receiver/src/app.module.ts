import { DbModule, PrismaService } from '@kiln/db';
import { MessagingModule, MessagingService } from '@kiln/messaging';
import { ObservabilityModule } from '@kiln/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { WEBHOOK_CONFIG, WebhookConfig } from './config';
import { webhookErrorFilter } from './http/configure-http';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: WebhookConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ObservabilityModule.forRoot({
          service: 'webhook-receiver',
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
          name: 'webhook-receiver',
          prefix: config.KILN_NATS_PREFIX,
          logStreamMaxBytes: config.KILN_LOG_STREAM_MAX_BYTES,
          publishRetryMs: config.KILN_WEBHOOK_PUBLISH_TIMEOUT_MS,
        }),
        WebhooksModule,
      ],
      providers: [
        { provide: WEBHOOK_CONFIG, useValue: config },
        { provide: APP_FILTER, useFactory: webhookErrorFilter },
      ],
      exports: [WEBHOOK_CONFIG],
    };
  }
}
