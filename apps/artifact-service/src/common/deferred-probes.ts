import { ReadinessProbe } from '@kiln/observability';
import { InjectionToken, Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

export interface DeferredProbes {
  /** What to pass as ObservabilityModule's `readiness`. */
  readiness: Record<string, symbol>;
  /** To add to the root module's providers. */
  providers: Provider[];
}

/**
 * Readiness probes that look their provider up when probed. ObservabilityModule resolves its
 * probes while Nest is still constructing providers (modules are built concurrently), and may
 * catch a not-yet-constructed placeholder of, say, PrismaService whose `ping` then always fails.
 * Value providers exist from the start, and these only reach the real instance at ping time.
 */
export function deferredProbes(targets: Record<string, InjectionToken>): DeferredProbes {
  let moduleRef: ModuleRef | undefined;
  const readiness: Record<string, symbol> = {};
  const providers: Provider[] = [
    {
      provide: Symbol('readiness-module-ref'),
      inject: [ModuleRef],
      useFactory: (ref: ModuleRef) => (moduleRef = ref),
    },
  ];
  for (const [name, target] of Object.entries(targets)) {
    const token = Symbol(`readiness-${name}`);
    const probe: ReadinessProbe = {
      ping: async () => {
        if (!moduleRef) throw new Error('application still starting');
        await moduleRef.get<ReadinessProbe>(target, { strict: false }).ping();
      },
    };
    readiness[name] = token;
    providers.push({ provide: token, useValue: probe });
  }
  return { readiness, providers };
}
