import { storageSettings } from '@kiln/config';
import { DbModule, PrismaService } from '@kiln/db';
import { ObservabilityModule } from '@kiln/observability';
import { HttpErrorFilter } from '@kiln/errors';
import { OBJECT_STORAGE, StorageModule, storageHttpError } from '@kiln/storage';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { CachesModule } from './caches/caches.module';
import { ArtifactMetrics } from './common/artifact-metrics';
import { ARTIFACT_CONFIG, ArtifactConfig } from './config';
import { SweeperModule } from './sweeper/sweeper.module';

@Module({})
export class AppModule {
  static forRoot(config: ArtifactConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ObservabilityModule.forRoot({
          service: 'artifact-service',
          logLevel: config.KILN_LOG_LEVEL,
          readiness: { database: PrismaService, storage: OBJECT_STORAGE },
        }),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          poolMax: config.KILN_DB_POOL_MAX,
          statementTimeoutMs: config.KILN_DB_STATEMENT_TIMEOUT_MS,
        }),
        StorageModule.forRoot(storageSettings(config)),
        ArtifactsModule,
        CachesModule,
        SweeperModule,
      ],
      providers: [
        { provide: ARTIFACT_CONFIG, useValue: config },
        { provide: APP_FILTER, useValue: new HttpErrorFilter({ routes: /^\/internal/, translate: storageHttpError }) },
        ArtifactMetrics,
      ],
      exports: [ARTIFACT_CONFIG, ArtifactMetrics],
    };
  }
}
