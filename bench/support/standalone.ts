import { ensureInfrastructure } from './infra';
import { Benchmark, contextFromEnv } from './result';

/** `node dist/bench/<name>.bench.js`: one benchmark on its own, figures printed to stdout. */
export function runStandalone(benchmark: Benchmark): void {
  const main = async () => {
    const stopInfrastructure = await ensureInfrastructure();
    try {
      for (const r of await benchmark(contextFromEnv())) {
        const baseline = r.baseline ? `   (${r.baseline.name}: ${r.baseline.value} ${r.unit})` : '';
        console.log(`${r.name}: ${r.value} ${r.unit}${baseline}`);
      }
    } finally {
      await stopInfrastructure();
    }
  };
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
