import { DynamicModule, Module, RequestMethod, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { collectDefaultMetrics, register } from 'prom-client';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { METRICS_TOKEN, metricsToken, MetricsTokenGuard } from './metrics-token.guard';
import { NamedProbe, READINESS_PROBES, ReadinessProbe } from './readiness';

export interface ObservabilityOptions {
  /** Service name, added to every log line and metric. */
  service: string;
  logLevel: string;
  /** Providers (by class or token) whose `ping()` decides readiness, keyed by a display name. */
  readiness: Record<string, Type<ReadinessProbe> | string | symbol>;
}

/** JSON logs (pino), `/healthz`, `/readyz` and `/metrics` for one service. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    // Validated here, at start, so a bad KILN_METRICS_TOKEN stops the app by name.
    const token = metricsToken();
    register.setDefaultLabels({ service: options.service });
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.logLevel,
            base: { service: options.service },
            redact: {
              paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
              censor: '[redacted]',
            },
            // Health and metrics scrapes would drown the request log.
            autoLogging: { ignore: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? '') },
          },
          // Nor do they need a request logger: its AsyncLocalStorage turns on promise hooks for
          // the whole process, which an app serving no other HTTP (the executor) pays on every
          // promise, e.g. per log line (bench/README.md, log-flood).
          exclude: ['healthz', 'readyz', 'metrics'].map((path) => ({ path, method: RequestMethod.ALL })),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: METRICS_TOKEN, useValue: token },
        MetricsTokenGuard,
        {
          provide: READINESS_PROBES,
          inject: [ModuleRef],
          // Looked up on each check, not here: the probed providers may live in modules
          // that are instantiated after this one.
          useFactory: (moduleRef: ModuleRef): NamedProbe[] =>
            Object.entries(options.readiness).map(([name, token]) => ({
              name,
              get probe() {
                return moduleRef.get<ReadinessProbe>(token, { strict: false });
              },
            })),
        },
      ],
    };
  }
}
