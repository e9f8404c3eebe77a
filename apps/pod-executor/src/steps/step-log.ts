import { LogChunkEvent, LogLine } from '@kiln/contracts';

export interface StepLogOptions {
  /** Total bytes of log text kept for the step; later lines are dropped after one marker line. */
  maxBytes: number;
  /** Secret values replaced by `***` in every line, also base64, base64url, URL-encoded and hex. */
  maskValues: string[];
  flushIntervalMs?: number;
  chunkBytes?: number;
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
 * (every ~100 ms or 64 KiB) numbered from 0 without gaps, and sent one after another, so chunk
 * order is publish order. `close()` sends the final chunk and answers how many chunks there were.
 */
export class StepLog {
  private buffer: LogLine[] = [];
  private bufferedBytes = 0;
  private totalBytes = 0;
  private truncated = false;
  private seq = 0;
  private sending: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly masks: string[];
  private readonly flushIntervalMs: number;
  private readonly chunkBytes: number;

  constructor(
    private readonly step: StepLogIdentity,
    private readonly options: StepLogOptions,
    private readonly send: ChunkSender,
  ) {
    this.masks = maskList(options.maskValues);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
  }

  /** Adds a line of the step's output; waits when a full chunk is being sent (backpressure). */
  async write(stream: LogLine['stream'], text: string, ts = Date.now()): Promise<void> {
    if (this.truncated) return;
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
    this.append(line);
    if (this.bufferedBytes >= this.chunkBytes) return this.flush();
    // A failed timed send is not lost: the chain stays rejected and the next write or close() throws it.
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
  }

  /** A line from the executor itself (workspace setup, kill reasons); never dropped by the cap. */
  async system(text: string): Promise<void> {
    this.append({ ts: Date.now(), stream: 'system', text: this.mask(text) });
    if (this.bufferedBytes >= this.chunkBytes) await this.flush();
  }

  /** Sends what is left as the final chunk; returns the number of chunks sent for the attempt. */
  async close(exitCode: number | null): Promise<number> {
    await this.flush(true, exitCode);
    return this.seq;
  }

  private append(line: LogLine): void {
    this.buffer.push(line);
    this.bufferedBytes += Buffer.byteLength(line.text) + 1;
  }

  // Chunks go out strictly one after another; a failed send fails every later one, so the
  // stream never shows a gap followed by more chunks.
  private flush(final = false, exitCode: number | null = null): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0 && !final) return this.sending;
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
    this.sending = this.sending.then(() => this.send(chunk));
    return this.sending;
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
