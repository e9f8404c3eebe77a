import { LogChunkEvent } from '@kiln/contracts';
import { isUtf8 } from 'node:buffer';

const NEWLINE = 0x0a;

/** A stored log chunk with its text as the stored bytes (UTF-8), never decoded to a string. */
export type StoredLogChunk = Omit<LogChunkEvent, 'text'> & { text: Buffer };

/**
 * Reads a stored log chunk (`encodeLogChunk` of @kiln/contracts: its fields as one line of JSON,
 * then its text as it is) for archiving: the chunk, or why it is unusable. The text stays bytes,
 * checked as `spansCoverText` checks the string; text that is not valid UTF-8 is replaced as
 * decoding it would (U+FFFD), so the archive holds what a string-decoding reader would write.
 * Hand-written rather than `validateEvent`, to name the problem in the archiver's words.
 */
export function readLogChunk(
  data: Uint8Array,
  runId: string,
  stepId: string,
): { chunk: StoredLogChunk } | { problem: string } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = bytes.indexOf(NEWLINE);
  if (end === -1) return { problem: 'not a log chunk' };
  let fields: unknown;
  try {
    fields = JSON.parse(bytes.toString('utf8', 0, end));
  } catch {
    // The first line is not JSON: the message is no log chunk, which the problem says.
    return { problem: 'not a log chunk' };
  }
  const text = bytes.subarray(end + 1);
  const problem = logChunkProblem(fields, text, runId, stepId);
  if (problem !== null) return { problem };
  const utf8 = isUtf8(text) ? text : Buffer.from(text.toString('utf8'));
  return { chunk: { ...(fields as Omit<LogChunkEvent, 'text'>), text: utf8 } };
}

/** Why a chunk's fields and text are unusable for archiving, or null. */
export function logChunkProblem(data: unknown, text: Buffer, runId: string, stepId: string): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a log chunk';
  const chunk = data as Partial<Record<keyof LogChunkEvent, unknown>>;
  if (chunk.version !== 2) return `unknown version ${JSON.stringify(chunk.version)}`;
  if (chunk.runId !== runId || chunk.stepId !== stepId) return 'belongs to another step';
  if (!isInt(chunk.attempt, 1)) return 'attempt is not a whole number ≥ 1';
  if (!isInt(chunk.seq, 0)) return 'seq is not a whole number ≥ 0';
  if (typeof chunk.final !== 'boolean') return 'final is not a boolean';
  if (!Array.isArray(chunk.spans) || !chunk.spans.every(isSpan)) return 'spans is not a list of spans';
  if (!spansCoverBytes(chunk.spans as { lines: number }[], text))
    return 'spans do not count the lines of text';
  return null;
}

/** `spansCoverText` of @kiln/contracts on the text's bytes: a `\n` byte is a `\n` in UTF-8 only. */
function spansCoverBytes(spans: { lines: number }[], text: Buffer): boolean {
  if (text.length > 0 && text[text.length - 1] !== NEWLINE) return false;
  let counted = 0;
  for (const span of spans) counted += span.lines;
  let lines = 0;
  for (let at = text.indexOf(NEWLINE); at !== -1; at = text.indexOf(NEWLINE, at + 1)) lines++;
  return lines === counted;
}

function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isSpan(span: unknown): boolean {
  if (typeof span !== 'object' || span === null) return false;
  const { ts, lines } = span as Record<string, unknown>;
  return isInt(ts, -Infinity) && isInt(lines, 1);
}
