import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { BenchResult } from './result';

export interface MachineFacts {
  date: string;
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews wall-clock figures. */
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  commit: string;
}

export interface BenchmarkOutcome {
  name: string;
  seconds: number;
  results: BenchResult[];
  error?: string;
}

export interface Report {
  machine: MachineFacts;
  scale: number;
  benchmarks: BenchmarkOutcome[];
}

export function machineFacts(root: string): MachineFacts {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cpuCount: cpu.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    commit: gitCommit(root),
  };
}

function gitCommit(root: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    const sha = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain').length > 0 ? `${sha} with uncommitted changes` : sha;
  } catch {
    // Not a git checkout (an unpacked release): the figures still stand, just without a commit.
    return 'unknown';
  }
}

export function ratio(result: BenchResult): number | undefined {
  if (!result.baseline || result.baseline.value === 0) return undefined;
  return result.value / result.baseline.value;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function markdown(report: Report): string {
  const m = report.machine;
  const lines = [
    '# Kiln benchmark results',
    '',
    `${m.date} · commit ${m.commit} · KILN_BENCH_SCALE=${report.scale}`,
    '',
    `Machine: ${m.cpuModel} × ${m.cpuCount}, ${m.memoryGiB} GiB RAM, Node.js ${m.node}, ${m.kernel}; ` +
      `load average ${m.loadAverageAtStart.join(' / ')} at the start` +
      (m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' / ')} at the end` : '') +
      '.',
    '',
    'Ratio = value ÷ baseline, both measured in this run. Produced by `pnpm bench` (see bench/README.md).',
    '',
    '| Benchmark | Figure | Value | Baseline | Ratio | Notes |',
    '|---|---|--:|---|--:|---|',
  ];
  for (const bench of report.benchmarks) {
    if (bench.error)
      lines.push(`| ${bench.name} | **failed** | | | | ${cell(bench.error.split('\n')[0].slice(0, 300))} |`);
    for (const r of bench.results) {
      const q = ratio(r);
      const baseline = r.baseline ? `${r.baseline.value} ${r.unit} (${r.baseline.name})` : '';
      lines.push(
        `| ${bench.name} | ${cell(r.name.trim())} | ${r.value} ${r.unit} | ${cell(baseline)} | ${q === undefined ? '' : `${q.toFixed(2)}×`} | ${cell(r.note ?? '')} |`,
      );
    }
  }
  lines.push(
    '',
    `Wall time per benchmark: ${report.benchmarks.map((b) => `${b.name} ${Math.round(b.seconds)} s`).join(', ')}.`,
    '',
  );
  return lines.join('\n');
}
