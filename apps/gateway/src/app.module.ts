import { DbModule, PrismaService } from '@kiln/db';
import { MessagingModule, MessagingService } from '@kiln/messaging';
import { OBJECT_STORAGE, StorageModule } from '@kiln/storage';
import { ObservabilityModule } from '@kiln/observability';
import { storageSettings } from '@kiln/config';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BadgesModule } from './badges/badges.module';
import { apiErrorFilter } from './common/api-errors';
import { secretBoxProvider, SECRET_BOX } from './common/secret-box.provider';
import { ControlCharactersPipe } from './common/control-characters.pipe';
import { apiValidationPipe } from './common/validation.pipe';
import { GATEWAY_CONFIG, GatewayConfig } from './config';
import { DeploymentsModule } from './deployments/deployments.module';
import { LogsModule } from './logs/logs.module';
import { MembersModule } from './members/members.module';
import { PipelinesModule } from './pipelines/pipelines.module';
import { PlatformModule } from './platform/platform.module';
import { ProjectsModule } from './projects/projects.module';
import { RegistriesModule } from './registries/registries.module';
import { RunnersModule } from './runners/runners.module';
import { RunsModule } from './runs/runs.module';
import { SecretsModule } from './secrets/secrets.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';
import { WebhooksOutModule } from './webhooks-out/webhooks-out.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DbModule.forRoot({
          url: config.DATABASE_URL,
          poolMax: config.KILN_DB_POOL_MAX,
          statementTimeoutMs: config.KILN_DB_STATEMENT_TIMEOUT_MS,
        }),
        MessagingModule.forRoot({
          url: config.NATS_URL,
          user: config.KILN_NATS_USER,
          pass: config.KILN_NATS_PASSWORD,
          name: 'gateway',
          prefix: config.KILN_NATS_PREFIX,
          logStreamMaxBytes: config.KILN_LOG_STREAM_MAX_BYTES,
        }),
        StorageModule.forRoot(storageSettings(config)),
        // After the modules its readiness probes come from, so it finds them constructed.
        ObservabilityModule.forRoot({
          service: 'gateway',
          logLevel: config.KILN_LOG_LEVEL,
          readiness: { database: PrismaService, nats: MessagingService, storage: OBJECT_STORAGE },
        }),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: config.KILN_RATE_LIMIT_WINDOW_MS, limit: config.KILN_RATE_LIMIT }],
          errorMessage: `rate limit exceeded: at most ${config.KILN_RATE_LIMIT} requests per ${config.KILN_RATE_LIMIT_WINDOW_MS / 1000} s per token; retry after the Retry-After header`,
        }),
        AuthModule,
        AuditModule,
        UsersModule,
        TokensModule,
        ProjectsModule,
        MembersModule,
        SecretsModule,
        RegistriesModule,
        PipelinesModule,
        PlatformModule,
        RunsModule,
        LogsModule,
        ArtifactsModule,
        DeploymentsModule,
        RunnersModule,
        WebhooksOutModule,
        BadgesModule,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        secretBoxProvider,
        { provide: APP_FILTER, useFactory: apiErrorFilter },
        // Global pipes run in the order given: control characters are refused before DTO rules.
        { provide: APP_PIPE, useClass: ControlCharactersPipe },
        { provide: APP_PIPE, useFactory: apiValidationPipe },
      ],
      exports: [GATEWAY_CONFIG, SECRET_BOX],
    };
  }
}
