import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { OutputLine } from '../backend';

/** A line longer than this is cut into pieces, so one endless line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024;
/** Unread output above this pauses the step's pipes until the reader catches up. */
const HIGH_WATER_CHARS = 1024 * 1024;

/** The pipes of a process; an OutputLine may come from elsewhere too (the backend's own lines). */
type ProcessStream = 'stdout' | 'stderr';

/**
 * Turns a process's stdout and stderr into one ordered sequence of timestamped lines for a single
 * reader, the complete lines of each read together (one OutputLine, lines joined by `\n`): a
 * chatty step's 64 KiB reads then cost per read, not per line. Pauses the pipes while the reader
 * lags behind, so a chatty step waits instead of filling the executor's memory.
 */
export class OutputLines implements AsyncIterable<OutputLine> {
  // A queue read from `head`: Array.shift() on a long backlog would copy it for every line.
  private queue: OutputLine[] = [];
  private head = 0;
  private queuedChars = 0;
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
        this.queuedChars -= line.text.length;
        if (this.queuedChars < HIGH_WATER_CHARS / 2) this.resume();
        yield line;
      } else if (this.open === 0) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private follow(stream: ProcessStream, source: Readable): void {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    source.on('data', (bytes: Buffer) => {
      const text = partial + decoder.write(bytes);
      const end = text.lastIndexOf('\n');
      if (end !== -1) this.push(stream, text.slice(0, end));
      partial = text.slice(end + 1);
      while (partial.length > MAX_LINE_CHARS) {
        this.push(stream, partial.slice(0, MAX_LINE_CHARS));
        partial = partial.slice(MAX_LINE_CHARS);
      }
    });
    // 'close' also follows an 'error' (the pipe broke); what was read is kept either way.
    source.once('close', () => {
      const rest = partial + decoder.end();
      if (rest) this.push(stream, rest);
      this.open -= 1;
      this.notify();
    });
    source.on('error', () => undefined);
  }

  /** Queues one or more lines (joined by `\n`), each without the `\r` of a CRLF ending. */
  private push(stream: ProcessStream, text: string): void {
    const line = text.includes('\r') ? text.replace(/\r(?=\n|$)/g, '') : text;
    this.queue.push({ stream, text: line, ts: Date.now() });
    this.queuedChars += line.length;
    if (this.queuedChars > HIGH_WATER_CHARS) for (const source of Object.values(this.sources)) source.pause();
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
