import { ObjectStorage } from '@kiln/storage';

const WINDOW_BYTES = 64 * 1024;
/** Very long lines would otherwise make `tail` read a whole huge log into memory. */
const MAX_TAIL_BYTES = 16 * 1024 * 1024;

/** The last `lines` lines of a stored log, read backwards in windows so big logs cost little. */
export async function tailObject(
  storage: ObjectStorage,
  key: string,
  size: number,
  lines: number,
): Promise<Buffer> {
  let buffer = Buffer.alloc(0);
  let start = size;
  while (start > 0 && size - start < MAX_TAIL_BYTES && countLines(buffer, start === 0) < lines) {
    const from = Math.max(start - WINDOW_BYTES, 0);
    buffer = Buffer.concat([await readRange(storage, key, from, start - 1), buffer]);
    start = from;
  }
  return lastLines(buffer, lines);
}

/** Complete lines in `buffer`; the first one only counts when it starts at the beginning of the log. */
function countLines(buffer: Buffer, atStart: boolean): number {
  let newlines = 0;
  for (const byte of buffer) if (byte === 0x0a) newlines++;
  const unterminated = buffer.length > 0 && buffer[buffer.length - 1] !== 0x0a ? 1 : 0;
  return newlines + unterminated - (atStart ? 0 : 1);
}

function lastLines(buffer: Buffer, lines: number): Buffer {
  const end = buffer.length > 0 && buffer[buffer.length - 1] === 0x0a ? buffer.length - 1 : buffer.length;
  let cut = end;
  for (let found = 0; cut > 0;) {
    cut = buffer.lastIndexOf(0x0a, cut - 1);
    if (cut < 0) return buffer;
    if (++found === lines) return buffer.subarray(cut + 1);
  }
  return buffer;
}

async function readRange(storage: ObjectStorage, key: string, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await storage.stream(key, { start, end })) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}
