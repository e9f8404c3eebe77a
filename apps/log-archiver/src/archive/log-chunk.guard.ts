import { LogChunkEvent, LogLine } from '@kiln/contracts';

/**
 * Checks a stored log chunk for what archiving relies on and answers why it is unusable, or
 * null. Hand-written rather than `validateEvent`: class-validator on every nested line costs
 * about 4 ms per 50-line chunk, which made it most of the time spent archiving a long log.
 */
export function logChunkProblem(data: unknown, runId: string, stepId: string): string | null {
  if (typeof data !== 'object' || data === null) return 'not a JSON object';
  const chunk = data as Partial<Record<keyof LogChunkEvent, unknown>>;
  if (chunk.version !== 1) return `unknown version ${JSON.stringify(chunk.version)}`;
  if (chunk.runId !== runId || chunk.stepId !== stepId) return 'belongs to another step';
  if (!isInt(chunk.attempt, 1)) return 'attempt is not a whole number ≥ 1';
  if (!isInt(chunk.seq, 0)) return 'seq is not a whole number ≥ 0';
  if (typeof chunk.final !== 'boolean') return 'final is not a boolean';
  if (!Array.isArray(chunk.lines)) return 'lines is not an array';
  if (!chunk.lines.every(isLine)) return 'a line has no text';
  return null;
}

function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isLine(line: unknown): line is LogLine {
  return typeof line === 'object' && line !== null && typeof (line as LogLine).text === 'string';
}
