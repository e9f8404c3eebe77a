import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { OutputLine } from '../backend';

const NEWLINE = 0x0a;
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
  // A queue read from `head`: Array.shift() on a long backlog would copy it for every line. A read
  // slot is cleared at once: kept until the next compaction, up to 1024 reads of 64 KiB each (a
  // whole flooding step's log) stayed referenced.
  private queue: (OutputLine | undefined)[] = [];
  private head = 0;
  private queuedChars = 0;
  private wake?: () => void;

  private readonly sources: Readable[] = [];
  private open = 0;
  private readonly partial = { stdout: new PartialLine(), stderr: new PartialLine() };
  /** The reader has stopped: what still comes is read and dropped, so the sources can end. */
  private abandoned = false;
  /** Lines dropped while the queue was full (`overflow: 'drop'`), told in the next line queued. */
  private dropped = 0;

  /**
   * `overflow`: what happens while the reader lags more than HIGH_WATER_CHARS behind. 'pause'
   * (steps) holds the sources back; 'drop' (a service, read only once its step's log is) keeps
   * them flowing and drops lines, saying how many, since a paused service may block on its own
   * output before it ever serves.
   */
  constructor(
    sources: Partial<Record<ProcessStream, Readable>>,
    private readonly overflow: 'pause' | 'drop' = 'pause',
  ) {
    for (const [stream, source] of Object.entries(sources) as [ProcessStream, Readable][]) {
      this.follow(source, (bytes) => this.accept(stream, bytes), [stream]);
    }
  }

  /**
   * The lines of a Docker Engine attach stream (stdout and stderr multiplexed in frames: a byte
   * for the stream, three zero bytes, the length as uint32 big-endian, the payload), in the order
   * of the frames; pausing it when the reader lags holds the engine back too. A stream that is
   * not multiplexed (a TTY) is taken as stdout.
   */
  static multiplexed(source: Readable, overflow: 'pause' | 'drop' = 'pause'): OutputLines {
    const lines = new OutputLines({}, overflow);
    const header = Buffer.alloc(8);
    let headerBytes = 0;
    let frameLeft = 0;
    let frameStream: ProcessStream = 'stdout';
    let raw = false;
    lines.follow(
      source,
      (bytes) => {
        let offset = 0;
        while (offset < bytes.length) {
          if (raw) return lines.accept('stdout', bytes.subarray(offset));
          if (frameLeft === 0) {
            const copied = bytes.copy(header, headerBytes, offset, offset + 8 - headerBytes);
            headerBytes += copied;
            offset += copied;
            if (headerBytes < 8) return;
            headerBytes = 0;
            if (header[0] > 2 || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
              raw = true;
              lines.accept('stdout', Buffer.from(header));
              continue;
            }
            frameStream = header[0] === 2 ? 'stderr' : 'stdout';
            frameLeft = header.readUInt32BE(4);
            continue;
          }
          const take = Math.min(frameLeft, bytes.length - offset);
          lines.accept(frameStream, bytes.subarray(offset, offset + take));
          offset += take;
          frameLeft -= take;
        }
      },
      ['stdout', 'stderr'],
      // A TTY's output shorter than a frame header is still text.
      () => {
        const start = header.subarray(0, headerBytes);
        if (!raw && headerBytes > 0 && (start[0] > 2 || start.subarray(1, 4).some((b) => b !== 0))) {
          lines.accept('stdout', Buffer.from(start));
        }
      },
    );
    return lines;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OutputLine> {
    try {
      yield* this.lines();
    } finally {
      // Read to the end or given up (the log could not be sent, a duplicate stopped): a paused
      // source would never end, and a step's end waits for its output to end.
      this.abandoned = true;
      this.queue = [];
      this.head = 0;
      this.queuedChars = 0;
      this.resume();
    }
  }

  private async *lines(): AsyncGenerator<OutputLine> {
    for (;;) {
      const line = this.queue[this.head];
      if (line) {
        this.queue[this.head] = undefined;
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

  /** Reads `source` into `take`; when it ends, the partial lines of `streams` are complete. */
  private follow(
    source: Readable,
    take: (bytes: Buffer) => void,
    streams: ProcessStream[],
    beforeEnd?: () => void,
  ): void {
    this.sources.push(source);
    this.open += 1;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      beforeEnd?.();
      for (const stream of streams) {
        const rest = this.partial[stream].end();
        if (rest) this.push(stream, rest);
      }
      this.open -= 1;
      if (this.open === 0 && this.dropped > 0) this.queueDropNotice(streams[0]);
      this.notify();
    };
    source.on('error', () => undefined);
    // A source handed over later (the spawner's sockets) may have ended already, empty.
    if (source.readableEnded || source.destroyed) return end();
    source.on('data', take);
    // 'close' also follows an 'error' (the pipe broke); what was read is kept either way.
    source.once('end', end);
    source.once('close', end);
  }

  /**
   * The line that earlier reads began is completed and queued apart from the read's other lines:
   * one text of both would copy the whole read once more (a flat string out of the two).
   */
  private accept(stream: ProcessStream, bytes: Buffer): void {
    const partial = this.partial[stream];
    const last = bytes.lastIndexOf(NEWLINE);
    let rest: string;
    if (last === -1) {
      rest = partial.text + partial.decoder.write(bytes);
    } else {
      // Each text decoded up to a newline ends with it (a character cut before it is decoded as
      // U+FFFD first); slicing it off copies nothing.
      const first = bytes.indexOf(NEWLINE);
      this.push(stream, (partial.text + partial.decoder.write(bytes.subarray(0, first + 1))).slice(0, -1));
      if (last > first)
        this.push(stream, partial.decoder.write(bytes.subarray(first + 1, last + 1)).slice(0, -1));
      rest = partial.decoder.write(bytes.subarray(last + 1));
    }
    while (rest.length > MAX_LINE_CHARS) {
      this.push(stream, rest.slice(0, MAX_LINE_CHARS));
      rest = rest.slice(MAX_LINE_CHARS);
    }
    partial.text = rest;
  }

  /** Queues one or more lines (joined by `\n`), each without the `\r` of a CRLF ending. */
  private push(stream: ProcessStream, text: string): void {
    if (this.abandoned) return;
    if (this.overflow === 'drop' && this.queuedChars > HIGH_WATER_CHARS) {
      this.dropped += text.split('\n').length;
      return;
    }
    if (this.dropped > 0) this.queueDropNotice(stream);
    const line = text.includes('\r') ? text.replace(/\r(?=\n|$)/g, '') : text;
    this.queue.push({ stream, text: line, ts: Date.now() });
    this.queuedChars += line.length;
    if (this.overflow === 'pause' && this.queuedChars > HIGH_WATER_CHARS) {
      for (const source of this.sources) source.pause();
    }
    this.notify();
  }

  private queueDropNotice(stream: ProcessStream): void {
    const text = `[${this.dropped} lines dropped: written faster than the log was read]`;
    this.dropped = 0;
    this.queue.push({ stream, text, ts: Date.now() });
    this.queuedChars += text.length;
  }

  private resume(): void {
    for (const source of this.sources) if (source.isPaused()) source.resume();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** What a stream has written after its last newline, and the UTF-8 character it may have cut. */
class PartialLine {
  readonly decoder = new StringDecoder('utf8');
  text = '';

  end(): string {
    const rest = this.text + this.decoder.end();
    this.text = '';
    return rest;
  }
}
