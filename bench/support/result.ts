/** One figure of a benchmark, with the baseline it is compared to when one exists. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Measured in the same run; the report divides value by it. */
  baseline?: { name: string; value: number };
  note?: string;
}

/** What the runner hands every benchmark. */
export interface BenchContext {
  /** Multiplies every count (runs, deliveries, requests); KILN_BENCH_SCALE, default 1. */
  scale: number;
  /** Progress line on stderr (the results go to files). */
  log(message: string): void;
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchResult[]>;

/** `count` scaled by KILN_BENCH_SCALE, never below `min`. */
export function scaled(ctx: BenchContext, count: number, min = 1): number {
  return Math.max(min, Math.round(count * ctx.scale));
}

export function contextFromEnv(): BenchContext {
  const scale = Number(process.env.KILN_BENCH_SCALE ?? 1);
  if (!(scale > 0))
    throw new Error(`KILN_BENCH_SCALE must be a positive number, not "${process.env.KILN_BENCH_SCALE}"`);
  return { scale, log: (message) => process.stderr.write(`  ${message}\n`) };
}
