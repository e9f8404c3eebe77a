import { ByteRange } from './object-storage';
import { InvalidRangeError } from './storage.errors';

/** Throws RangeError for a range no caller should build (negative, fractional, end before start). */
export function assertByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError(`range start ${start} is not a byte offset`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new RangeError(`range end ${end} is not a byte offset at or after ${start}`);
  }
}

/**
 * The inclusive byte bounds of `range` within an object of `size` bytes. `{ start: 0 }` alone is the
 * whole object even when it is empty, as S3 answers a GET without a Range header.
 */
export function resolveByteRange(
  key: string,
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  if (!range || (range.start === 0 && range.end === undefined)) return { start: 0, end: size - 1 };
  if (range.start >= size) throw new InvalidRangeError(key, range.start);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}
