import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface FaultOutcome {
  fault: string;
  runs: number;
  outcome: string;
}

/** The table of faults injected and what became of the runs, as Markdown. */
export function summaryTable(rows: FaultOutcome[]): string {
  const lines = ['| fault | runs | outcome |', '| --- | ---: | --- |'];
  for (const row of rows) lines.push(`| ${row.fault} | ${row.runs} | ${row.outcome.replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}

/** Writes the table to bench/results/chaos-summary.md with when and how it was produced. */
export function writeSummary(rows: FaultOutcome[], runsPerFault: number, wallMs: number): string {
  const table = summaryTable(rows);
  const dir = resolve(__dirname, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'chaos-summary.md');
  writeFileSync(
    file,
    `# Chaos suite\n\n${new Date().toISOString()}, ${runsPerFault} runs per fault (KILN_CHAOS_RUNS), ` +
      `${Math.round(wallMs / 1000)} s, Node ${process.version}.\n\n${table}\n`,
  );
  return table;
}
