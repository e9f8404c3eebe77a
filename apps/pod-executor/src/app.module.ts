import { MessagingModule, MessagingService } from '@kiln/messaging';
import { ObservabilityModule } from '@kiln/observability';
import { DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { EXECUTOR_CONFIG, ExecutorConfig } from './config';
import { HeartbeatModule } from './heartbeat/heartbeat.module';
import { EXECUTOR_IDENTITY, executorIdentity } from './identity/executor-identity';
import { ShutdownModule } from './shutdown/shutdown.module';
import { StepsModule } from './steps/steps.module';

@Module({})
export class AppModule {
  static forRoot(config: ExecutorConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ObservabilityModule.forRoot({
          service: 'pod-executor',
          logLevel: config.KILN_LOG_LEVEL,
          readiness: { nats: MessagingService },
        }),
        MessagingModule.forRoot({
          url: config.NATS_URL,
          user: config.KILN_NATS_USER,
          pass: config.KILN_NATS_PASSWORD,
          name: 'pod-executor',
          prefix: config.KILN_NATS_PREFIX,
          logStreamMaxBytes: config.KILN_LOG_STREAM_MAX_BYTES,
        }),
        StepsModule,
        HeartbeatModule,
        ArtifactsModule,
        ShutdownModule,
      ],
      providers: [
        { provide: EXECUTOR_CONFIG, useValue: config },
        { provide: EXECUTOR_IDENTITY, useValue: executorIdentity(config.KILN_EXECUTOR_ID) },
      ],
      exports: [EXECUTOR_CONFIG, EXECUTOR_IDENTITY],
    };
  }
}
