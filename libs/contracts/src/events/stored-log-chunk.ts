import { LOG_STREAMS, LogChunkEvent, spansCoverText } from './log-chunk.event';

/** A log chunk as `decodeLogChunkBytes` reads it: its text stays the bytes it arrived in. */
export type StoredLogChunk = Omit<LogChunkEvent, 'text'> & { text: Buffer };

/**
 * Checks a log chunk read as bytes (`decodeLogChunkBytes`) for what its readers (the log archiver,
 * the gateway's live view) rely on and answers why it is unusable, or null: `validateEvent`'s
 * checks of a LogChunkEvent, on a text of bytes, naming the problem in words for the reader's log.
 */
export function storedLogChunkProblem(data: unknown, runId: string, stepId: string): string | null {
  if (typeof data !== 'object' || data === null) return 'not a log chunk';
  const chunk = data as Partial<Record<keyof StoredLogChunk, unknown>>;
  if (chunk.version !== 2) return `unknown version ${JSON.stringify(chunk.version)}`;
  if (chunk.runId !== runId || chunk.stepId !== stepId) return 'belongs to another step';
  if (typeof chunk.stepName !== 'string') return 'stepName is not a string';
  if (!isInt(chunk.attempt, 1)) return 'attempt is not a whole number ≥ 1';
  if (!isInt(chunk.seq, 0)) return 'seq is not a whole number ≥ 0';
  if (typeof chunk.final !== 'boolean') return 'final is not a boolean';
  // Absent or null (as `@IsOptional` lets through): the step ended without an exit code.
  if (chunk.exitCode != null && !isInt(chunk.exitCode, -Infinity)) return 'exitCode is not a whole number';
  if (!Buffer.isBuffer(chunk.text)) return 'text is missing';
  if (!Array.isArray(chunk.spans) || !chunk.spans.every(isSpan)) return 'spans is not a list of spans';
  if (!spansCoverText(chunk.spans, chunk.text)) {
    return 'spans do not count the lines of text';
  }
  return null;
}

function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isSpan(span: unknown): boolean {
  if (typeof span !== 'object' || span === null) return false;
  const { ts, stream, lines } = span as Record<string, unknown>;
  return isInt(ts, -Infinity) && LOG_STREAMS.includes(stream as never) && isInt(lines, 1);
}
