import { LogChunkEvent, LogSpan, LogStream } from '@kiln/contracts';

export interface StepLogOptions {
  /** Total bytes of log text kept for the step; later lines are dropped after one marker line. */
  maxBytes: number;
  /** Secret values replaced by `***` in every line, also base64, base64url, URL-encoded and hex. */
  maskValues: string[];
  /** A chunk is sent at most this long after its first line (default 50 ms)... */
  flushIntervalMs?: number;
  /** ...or once it holds this many bytes of text (default 256 KiB: see StepLog). */
  chunkBytes?: number;
  /**
   * Chunks sent and not yet acknowledged at most (default 4, 1 MiB of log: 8 of 256 KiB raised
   * the executor's RSS peak in app-rss, no CPU saved); a writer waits beyond that.
   */
  maxInFlight?: number;
}

export interface StepLogIdentity {
  runId: string;
  stepId: string;
  stepName: string;
  attempt: number;
}

/** Publishes one chunk; resolves once the chunk is stored (JetStream ack). */
export type ChunkSender = (chunk: LogChunkEvent) => Promise<void>;

const MASK = '***';
// Shorter values would mask ordinary words and numbers everywhere.
const MIN_MASKED_LENGTH = 4;

/**
 * The log of one step attempt on its way out: lines are masked, capped, batched into chunks
 * (every ~50 ms or 256 KiB) numbered from 0 without gaps, and sent in that order. Lines arrive in
 * batches (a backend's read) and stay one text per chunk: masking, counting and encoding then
 * cost per batch, not per line, which was most of the executor's CPU under a chatty step
 * (bench/README.md, log-flood). A chunk holds up to four 64 KiB pipe reads: each publish and
 * its acknowledgement cost more than joining the reads into one text outside V8's young
 * generation (log-flood: executor CPU per MiB ~15 % lower than with 64 KiB chunks, issue 20).
 * Up to `maxInFlight` sends are outstanding at once: waiting for each acknowledgement before
 * sending the next left the executor idle. `close()` sends the final chunk, waits for every
 * acknowledgement and answers how many chunks there were.
 */
export class StepLog {
  /** The lines of the next chunk and their `\n`s (joined at once: a flat string counts faster), and where they came from. */
  private pieces: string[] = [];
  private spans: LogSpan[] = [];
  private bufferedBytes = 0;
  private totalBytes = 0;
  private truncated = false;
  private seq = 0;
  /** Sends not yet settled, each resolving (never rejecting) when its acknowledgement or error came. */
  private readonly inFlight = new Set<Promise<void>>();
  /** The first send that failed: nothing is sent after it. */
  private failure?: { error: unknown };
  private timer?: NodeJS.Timeout;
  private readonly masks: string[];
  private readonly flushIntervalMs: number;
  private readonly chunkBytes: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly step: StepLogIdentity,
    private readonly options: StepLogOptions,
    private readonly send: ChunkSender,
  ) {
    this.masks = maskList(options.maskValues);
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

  /**
   * Adds a line of the step's output, or several read together (joined by `\n`). Answers a
   * promise only when the caller must wait: while `maxInFlight` chunks are being sent
   * (backpressure). Not `async`: most writes need no promise.
   */
  write(stream: LogStream, text: string, ts = Date.now()): Promise<void> | undefined {
    if (this.truncated) return undefined;
    const lines = this.mask(text);
    const bytes = Buffer.byteLength(lines) + 1;
    if (this.totalBytes + bytes > this.options.maxBytes) {
      const fitting = linesWithin(`${lines}\n`, this.options.maxBytes - this.totalBytes);
      if (fitting) this.append(ts, stream, fitting.slice(0, -1));
      this.truncated = true;
      this.append(ts, 'system', `[log truncated: limit of ${this.options.maxBytes} bytes reached]`);
      return this.flush();
    }
    this.totalBytes += bytes;
    // A chunk stays within chunkBytes unless one write alone is larger: what is buffered goes first.
    if (this.spans.length > 0 && this.bufferedBytes + bytes > this.chunkBytes) this.sendBuffered();
    this.append(ts, stream, lines, bytes);
    if (this.bufferedBytes >= this.chunkBytes) this.sendBuffered();
    // A failed timed send is not lost: it is kept, and the next write or close() throws it.
    else this.timer ??= setTimeout(() => this.sendBuffered(), this.flushIntervalMs);
    return this.failure || this.inFlight.size >= this.maxInFlight ? this.room() : undefined;
  }

  /** A line from the executor itself (workspace setup, kill reasons); never dropped by the cap. */
  async system(text: string): Promise<void> {
    this.append(Date.now(), 'system', this.mask(text));
    if (this.bufferedBytes >= this.chunkBytes) await this.flush();
  }

  /** Sends what is left as the final chunk; returns the number of chunks sent for the attempt. */
  async close(exitCode: number | null): Promise<number> {
    try {
      await this.flush(true, exitCode);
    } finally {
      while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    }
    if (this.failure) throw this.failure.error;
    return this.seq;
  }

  /**
   * Adds lines (joined by `\n`), extending the last span when it has the same origin. Their
   * ending `\n` is a piece of its own: `${lines}\n` would copy a whole read once more.
   */
  private append(ts: number, stream: LogStream, lines: string, bytes = Buffer.byteLength(lines) + 1): void {
    const count = lineCount(lines) + 1;
    const last = this.spans.at(-1);
    if (last && last.ts === ts && last.stream === stream) last.lines += count;
    else this.spans.push({ ts, stream, lines: count });
    this.pieces.push(lines, '\n');
    this.bufferedBytes += bytes;
  }

  /** Sends what is buffered, then answers once there is room for more (throws a failed send's error). */
  private flush(final = false, exitCode: number | null = null): Promise<void> {
    this.sendBuffered(final, exitCode);
    return this.room();
  }

  // Chunks are sent in seq order on one connection, so the stream stores them in that order.
  // After a failed send nothing more is sent and every later write throws its error: only the
  // chunks already in flight when it failed (fewer than maxInFlight) can follow a gap. The
  // attempt then never reports its chunk count, and the archiver marks the gap where it is
  // (LogAssembler: 'reports no trailing gap when the chunk count is unknown').
  private sendBuffered(final = false, exitCode: number | null = null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failure || (this.spans.length === 0 && !final)) return;
    const chunk: LogChunkEvent = {
      version: 2,
      ...this.step,
      seq: this.seq++,
      text: this.pieces.join(''),
      spans: this.spans,
      final,
      ...(final && exitCode !== null ? { exitCode } : {}),
    };
    this.pieces = [];
    this.spans = [];
    this.bufferedBytes = 0;
    const settled: Promise<void> = this.send(chunk).then(
      () => {
        this.inFlight.delete(settled);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inFlight.delete(settled);
      },
    );
    this.inFlight.add(settled);
  }

  /** Resolves once fewer than `maxInFlight` sends are outstanding; throws a failed send's error. */
  private async room(): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight && !this.failure) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }

  private mask(text: string): string {
    let masked = text;
    for (const value of this.masks) if (masked.includes(value)) masked = masked.split(value).join(MASK);
    return masked;
  }
}

function lineCount(lines: string): number {
  let count = 0;
  for (let at = lines.indexOf('\n'); at !== -1; at = lines.indexOf('\n', at + 1)) count++;
  return count;
}

/** The first whole lines of `lines` that take at most `bytes` bytes (the rest would pass the cap). */
function linesWithin(lines: string, bytes: number): string {
  let end = 0;
  let used = 0;
  for (let next = lines.indexOf('\n'); next !== -1; next = lines.indexOf('\n', end)) {
    used += Buffer.byteLength(lines.slice(end, next + 1));
    if (used > bytes) break;
    end = next + 1;
  }
  return lines.slice(0, end);
}

// Each line of a multi-line secret (a key file) is masked on its own, since logs travel as lines
// (masking a batch of lines at once, a value spanning lines would join them); longer values
// first, so a secret containing another (or its own padded form) is masked whole.
function maskList(values: string[]): string[] {
  const parts = values.flatMap((v) => [v, ...v.split(/\r?\n/)]).map((v) => v.trim());
  const forms = parts.filter((v) => v.length >= MIN_MASKED_LENGTH).flatMap(encodedForms);
  const usable = forms.filter((v) => v.length >= MIN_MASKED_LENGTH && !v.includes('\n'));
  return [...new Set(usable)].sort((a, b) => b.length - a.length);
}

/** The value and the ways a step could print it without printing it: base64 (both alphabets), URL and hex. */
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const base64 = [bytes.toString('base64'), ...[0, 1, 2].map((offset) => base64Inside(bytes, offset))];
  return [
    value,
    encodeURIComponent(value),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    ...base64,
    ...base64.map((b) => b.replace(/\+/g, '-').replace(/\//g, '_')),
  ];
}

/**
 * The characters of a longer base64 text that depend only on `bytes`, when they start `offset`
 * bytes after a 3-byte boundary of it: the first and last characters share bits with neighbours.
 */
function base64Inside(bytes: Buffer, offset: number): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
  return encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
}
