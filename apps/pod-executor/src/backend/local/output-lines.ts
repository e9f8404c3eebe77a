import { Readable } from 'node:stream';
import { OutputLine } from '../backend';

/** A line longer than this (characters; bytes of a pipe's UTF-8) is cut into pieces, so one endless line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024;
/** Unread output above this many bytes pauses the step's pipes until the reader catches up. */
const HIGH_WATER_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The pipes of a process; an OutputLine may come from elsewhere too (the backend's own lines). */
type ProcessStream = 'stdout' | 'stderr';

/**
 * Turns a process's stdout and stderr into one ordered sequence of timestamped lines for a single
 * reader, the complete lines of each read together (one OutputLine, lines joined by `\n`): a
 * chatty step's 64 KiB reads then cost per read, not per line. The lines stay the bytes the pipe
 * gave (UTF-8, never decoded here): a read is cut at its last newline, and `\n` is never part of
 * a multi-byte character. Pauses the pipes while the reader lags behind, so a chatty step waits
 * instead of filling the executor's memory.
 */
export class OutputLines implements AsyncIterable<OutputLine> {
  // A queue read from `head`: Array.shift() on a long backlog would copy it for every line.
  private queue: OutputLine[] = [];
  private head = 0;
  private queuedBytes = 0;
  private open: number;
  private wake?: () => void;

  constructor(private readonly sources: Record<ProcessStream, Readable>) {
    const entries = Object.entries(sources) as [ProcessStream, Readable][];
    this.open = entries.length;
    for (const [stream, source] of entries) this.follow(stream, source);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OutputLine> {
    for (;;) {
      const line = this.queue[this.head];
      if (line) {
        this.head += 1;
        if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.queuedBytes -= line.text.length;
        if (this.queuedBytes < HIGH_WATER_BYTES / 2) this.resume();
        yield line;
      } else if (this.open === 0) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private follow(stream: ProcessStream, source: Readable): void {
    // The start of a line whose end has not been read yet.
    let partial: Buffer | undefined;
    source.on('data', (read: Buffer | string) => {
      let rest = typeof read === 'string' ? Buffer.from(read) : read;
      const end = rest.lastIndexOf(NEWLINE);
      if (end !== -1) {
        // The line begun in an earlier read is joined alone: copying the whole read to it would
        // cost an allocation and a copy of 64 KiB for each read of a chatty step.
        const first = partial ? rest.indexOf(NEWLINE) : -1;
        if (partial) this.push(stream, Buffer.concat([partial, rest.subarray(0, first)]));
        if (end > first) this.push(stream, rest.subarray(first + 1, end));
        partial = undefined;
        rest = rest.subarray(end + 1);
      }
      if (partial) rest = Buffer.concat([partial, rest]);
      while (rest.length > MAX_LINE_CHARS) {
        const cut = characterStart(rest, MAX_LINE_CHARS);
        this.push(stream, rest.subarray(0, cut));
        rest = rest.subarray(cut);
      }
      // A copy: a few bytes must not hold the whole read's memory until the line ends.
      partial = rest.length > 0 ? Buffer.from(rest) : undefined;
    });
    // 'close' also follows an 'error' (the pipe broke); what was read is kept either way.
    source.once('close', () => {
      if (partial) this.push(stream, partial);
      this.open -= 1;
      this.notify();
    });
    source.on('error', () => undefined);
  }

  /** Queues one or more lines (joined by `\n`), each without the `\r` of a CRLF ending. */
  private push(stream: ProcessStream, bytes: Buffer): void {
    const text = bytes.includes(CARRIAGE_RETURN) ? withoutLineEndCarriageReturns(bytes) : bytes;
    this.queue.push({ stream, text, ts: Date.now() });
    this.queuedBytes += text.length;
    if (this.queuedBytes > HIGH_WATER_BYTES) for (const source of Object.values(this.sources)) source.pause();
    this.notify();
  }

  private resume(): void {
    for (const source of Object.values(this.sources)) if (source.isPaused()) source.resume();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** `at`, or the start of the UTF-8 character `at` falls into: a cut there splits no character. */
function characterStart(bytes: Buffer, at: number): number {
  let start = at;
  // Continuation bytes are 0b10xxxxxx; a character has at most three of them.
  while (start > at - 3 && (bytes[start] & 0xc0) === 0x80) start--;
  return start;
}

/** The lines without a `\r` before each `\n` and at the end (CRLF line endings). */
function withoutLineEndCarriageReturns(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === CARRIAGE_RETURN && (i + 1 === bytes.length || bytes[i + 1] === NEWLINE)) continue;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}
