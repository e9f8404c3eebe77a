// `pnpm bench [name ...]`: runs every benchmark (or the named ones) against the real stack, one
// after another, and writes bench/results/<timestamp>.json and bench/results/latest.md.
// KILN_BENCH_SCALE=0.1 scales every count down for a quick run (see bench/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureInfrastructure } from './support/infra';
import { machineFacts, markdown, Report } from './support/report';
import { Benchmark, contextFromEnv } from './support/result';

/** In the order they run: the cheap and self-contained first, the platform-wide ones after. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  'definition-parse': async () => (await import('./definition-parse.bench')).run,
  'webhook-ingest': async () => (await import('./webhook-ingest.bench')).run,
  'push-latency': async () => (await import('./push-latency.bench')).run,
  'k8s-push-latency': async () => (await import('./k8s-push-latency.bench')).run,
  'run-throughput': async () => (await import('./run-throughput.bench')).run,
  'docker-steps': async () => (await import('./docker-steps.bench')).run,
  'log-flood': async () => (await import('./log-flood.bench')).run,
  'api-list': async () => (await import('./api-list.bench')).run,
  'app-rss': async () => (await import('./app-rss.bench')).run,
};

// dist/bench/run.js → the repository root.
const root = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const selected =
    names.length > 0 ? Object.keys(BENCHMARKS).filter((n) => names.includes(n)) : Object.keys(BENCHMARKS);
  const ctx = contextFromEnv();
  const report: Report = { machine: machineFacts(root), scale: ctx.scale, benchmarks: [] };
  const stopInfrastructure = await ensureInfrastructure();
  try {
    for (const name of selected) {
      process.stderr.write(`▶ ${name}\n`);
      const started = performance.now();
      try {
        const results = await (await BENCHMARKS[name]())(ctx);
        report.benchmarks.push({ name, seconds: (performance.now() - started) / 1000, results });
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        process.stderr.write(`✗ ${name}: ${message}\n`);
        report.benchmarks.push({
          name,
          seconds: (performance.now() - started) / 1000,
          results: [],
          error: message,
        });
      }
      process.stderr.write(`  ${name} took ${Math.round((performance.now() - started) / 1000)} s\n`);
    }
  } finally {
    await stopInfrastructure();
  }
  report.machine.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.machine.date.replace(/[:.]/g, '-');
  const table = markdown(report);
  writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), table);
  console.log(table);
  process.stderr.write(`results: bench/results/${stamp}.json, bench/results/latest.md\n`);
  return report.benchmarks.some((b) => b.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
