import { isTerminalRun } from '@kiln/engine';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosPlatform } from './chaos-platform';

export interface RunRow {
  id: string;
  status: string;
  error: string | null;
  delivery_id: string | null;
}

export interface StepRow {
  id: string;
  run_id: string;
  name: string;
  status: string;
  attempt: number;
  error: string | null;
  log_ref: string | null;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function runsOf(chaos: ChaosPlatform, runIds: string[]): Promise<RunRow[]> {
  return chaos.query<RunRow>('SELECT id, status, error, delivery_id FROM runs WHERE id = ANY($1::uuid[])', [runIds]);
}

export function stepsOf(chaos: ChaosPlatform, runIds: string[]): Promise<StepRow[]> {
  return chaos.query<StepRow>(
    'SELECT id, run_id, name, status, attempt, error, log_ref FROM steps WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, position',
    [runIds],
  );
}

/** Resolves once every run exists and is terminal; the deadline says which ones never got there. */
export async function waitTerminal(chaos: ChaosPlatform, runIds: string[], timeoutMs: number): Promise<RunRow[]> {
  let last: RunRow[] = [];
  try {
    return await waitFor('runs terminal', timeoutMs, async () => {
      last = await runsOf(chaos, runIds);
      return last.length === runIds.length && last.every((r) => isTerminalRun(r.status)) ? last : undefined;
    });
  } catch (error) {
    const steps = await stepsOf(chaos, runIds).catch(() => []);
    throw new Error(`${String(error)}\nruns: ${JSON.stringify(last)}\nsteps: ${JSON.stringify(steps)}`, { cause: error });
  }
}

/** Waits until at least `count` steps of the runs are running (a fault then lands mid-run). */
export function waitRunning(chaos: ChaosPlatform, runIds: string[], count: number): Promise<StepRow[]> {
  return waitFor(`${count} steps running`, 30_000, async () => {
    const running = (await stepsOf(chaos, runIds)).filter((s) => s.status === 'running');
    return running.length >= count ? running : undefined;
  });
}

const NUMBERED = /^([a-z]+)-line (\d+)$/;

/**
 * Problems with one archived step log: each numbered line `<step>-line <n>` must appear exactly
 * once and in order, 1..expected; a log cut by the size cap must stop at its marker with no gap before.
 */
export function logProblems(text: string, step: string, expected: number, capped: boolean): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  const numbers = lines.flatMap((line) => {
    const match = NUMBERED.exec(line);
    return match && match[1] === step ? [Number(match[2])] : [];
  });
  numbers.forEach((n, i) => {
    if (n !== i + 1) problems.push(`line ${i + 1} is "${step}-line ${n}"`);
  });
  const markerAt = lines.findIndex((l) => l.startsWith('[log truncated: limit of'));
  if (capped) {
    if (markerAt < 0) problems.push('no truncation marker');
    const lastNumbered = lines.findLastIndex((l) => NUMBERED.test(l));
    if (markerAt >= 0 && lastNumbered > markerAt) problems.push('numbered lines after the truncation marker');
    if (numbers.length >= expected) problems.push(`all ${expected} lines kept despite the cap`);
  } else {
    if (markerAt >= 0) problems.push('truncated');
    if (numbers.length !== expected) problems.push(`${numbers.length} numbered lines, expected ${expected}`);
  }
  if (text.includes('[log incomplete')) problems.push('chunks missing');
  return problems.slice(0, 5);
}

/** The archived object of a step (filesystem storage driver). */
export function archivedLog(dataDir: string, logRef: string): string {
  return readFileSync(join(dataDir, 'objects', logRef), 'utf8');
}

/** Sandbox processes still alive that were started for this platform's workspaces. */
export function bwrapProcessesOf(dataDir: string): string[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-af', 'bwrap'], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches.
    return [];
  }
  return out.split('\n').filter((line) => line.includes(dataDir));
}

export function workspacesLeft(dataDir: string): string[] {
  const root = join(dataDir, 'workspaces');
  return existsSync(root) ? readdirSync(root) : [];
}
