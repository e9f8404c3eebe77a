import { LogChunkEvent, LogLine } from '@kiln/contracts';

export interface StepLogOptions {
  /** Total bytes of log text kept for the step; later lines are dropped after one marker line. */
  maxBytes: number;
  /** Secret values replaced by `***` in every line, also base64, base64url, URL-encoded and hex. */
  maskValues: string[];
  flushIntervalMs?: number;
  chunkBytes?: number;
  /** Chunks sent and not yet acknowledged at most (default 8); a writer waits beyond that. */
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
 * (every ~100 ms or 64 KiB) numbered from 0 without gaps, and sent in that order. Up to
 * `maxInFlight` sends are outstanding at once: waiting for each acknowledgement before sending
 * the next left the executor idle most of the time under a chatty step (bench/README.md,
 * log-flood). `close()` sends the final chunk, waits for every acknowledgement and answers how
 * many chunks there were.
 */
export class StepLog {
  private buffer: LogLine[] = [];
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
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 8);
  }

  /**
   * Adds a line of the step's output. Answers a promise only when the caller must wait: while
   * `maxInFlight` chunks are being sent (backpressure). Not `async`: it runs once per line of
   * output, and most lines need no promise.
   */
  write(stream: LogLine['stream'], text: string, ts = Date.now()): Promise<void> | undefined {
    if (this.truncated) return undefined;
    const line = { ts, stream, text: this.mask(text) };
    const bytes = Buffer.byteLength(line.text) + 1;
    if (this.totalBytes + bytes > this.options.maxBytes) {
      this.truncated = true;
      this.append({
        ts,
        stream: 'system',
        text: `[log truncated: limit of ${this.options.maxBytes} bytes reached]`,
      });
      return this.flush();
    }
    this.totalBytes += bytes;
    this.append(line, bytes);
    if (this.bufferedBytes >= this.chunkBytes) return this.flush();
    // A failed timed send is not lost: it is kept, and the next full chunk or close() throws it.
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
    return undefined;
  }

  /** A line from the executor itself (workspace setup, kill reasons); never dropped by the cap. */
  async system(text: string): Promise<void> {
    this.append({ ts: Date.now(), stream: 'system', text: this.mask(text) });
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

  private append(line: LogLine, bytes = Buffer.byteLength(line.text) + 1): void {
    this.buffer.push(line);
    this.bufferedBytes += bytes;
  }

  // Chunks are sent in seq order on one connection, so the stream stores them in that order.
  // After a failed send nothing more is sent and every later flush throws its error: only the
  // chunks already in flight when it failed (fewer than maxInFlight) can follow a gap.
  private flush(final = false, exitCode: number | null = null): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.buffer.length === 0 && !final) return this.room();
    const chunk: LogChunkEvent = {
      version: 1,
      ...this.step,
      seq: this.seq++,
      lines: this.buffer,
      final,
      ...(final && exitCode !== null ? { exitCode } : {}),
    };
    this.buffer = [];
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
    return this.room();
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

// Each line of a multi-line secret (a key file) is masked on its own, since logs travel as lines;
// longer values first, so a secret containing another (or its own padded form) is masked whole.
function maskList(values: string[]): string[] {
  const parts = values.flatMap((v) => [v, ...v.split(/\r?\n/)]).map((v) => v.trim());
  const forms = parts.filter((v) => v.length >= MIN_MASKED_LENGTH).flatMap(encodedForms);
  return [...new Set(forms.filter((v) => v.length >= MIN_MASKED_LENGTH))].sort((a, b) => b.length - a.length);
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
