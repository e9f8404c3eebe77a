import { LogChunkEvent, spansCoverText } from '@kiln/contracts';

/**
 * Checks a stored log chunk for what archiving relies on and answers why it is unusable, or
 * null. Hand-written rather than `validateEvent`, to name the problem in the archiver's words.
 */
export function logChunkProblem(data: unknown, runId: string, stepId: string): string | null {
  if (typeof data !== 'object' || data === null) return 'not a log chunk';
  const chunk = data as Partial<Record<keyof LogChunkEvent, unknown>>;
  if (chunk.version !== 2) return `unknown version ${JSON.stringify(chunk.version)}`;
  if (chunk.runId !== runId || chunk.stepId !== stepId) return 'belongs to another step';
  if (!isInt(chunk.attempt, 1)) return 'attempt is not a whole number ≥ 1';
  if (!isInt(chunk.seq, 0)) return 'seq is not a whole number ≥ 0';
  if (typeof chunk.final !== 'boolean') return 'final is not a boolean';
  if (typeof chunk.text !== 'string') return 'text is not a string';
  if (!Array.isArray(chunk.spans) || !chunk.spans.every(isSpan)) return 'spans is not a list of spans';
  if (!spansCoverText(chunk.spans, chunk.text)) return 'spans do not count the lines of text';
  return null;
}

function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isSpan(span: unknown): boolean {
  if (typeof span !== 'object' || span === null) return false;
  const { ts, lines } = span as Record<string, unknown>;
  return isInt(ts, -Infinity) && isInt(lines, 1);
}
