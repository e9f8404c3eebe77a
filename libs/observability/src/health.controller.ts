import { Controller, Get, Inject, OnApplicationShutdown } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NamedProbe, READINESS_PROBES } from './readiness';

const PROBE_TIMEOUT_MS = 3000;
// The default also documents the endpoints for Swagger, which loads @nestjs/swagger (~100
// modules) into every app; probes are for orchestrators, not API clients (bench/README.md, app-rss).
const HEALTH_CHECK = { noCache: true, swaggerDocumentation: false };

/** `/healthz`: the process is alive. `/readyz`: its database, NATS and storage answer. */
@Controller()
export class HealthController implements OnApplicationShutdown {
  private shuttingDown = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_PROBES) private readonly probes: NamedProbe[],
  ) {}

  @Get('healthz')
  @HealthCheck(HEALTH_CHECK)
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck(HEALTH_CHECK)
  ready() {
    return this.health.check([
      async () => {
        const indicator = this.indicators.check('shutdown');
        return this.shuttingDown ? indicator.down({ reason: 'shutting down' }) : indicator.up();
      },
      ...this.probes.map(({ name, probe }) => async () => {
        const indicator = this.indicators.check(name);
        try {
          await withTimeout(probe.ping(), PROBE_TIMEOUT_MS);
          return indicator.up();
        } catch (error) {
          return indicator.down({ message: error instanceof Error ? error.message : String(error) });
        }
      }),
    ]);
  }

  onApplicationShutdown(): void {
    this.shuttingDown = true;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
