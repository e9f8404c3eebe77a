import { LogTimesDecoder, logTimesKey, ObjectNotFoundError, ObjectStorage } from '@kiln/storage';

export interface TimedLine {
  /** Milliseconds since the epoch; null for a line without a time (or a log archived before times were kept). */
  ts: number | null;
  text: string;
}

/**
 * An archived log's lines with their times (the times object beside it), in batches of one stored
 * part each, without holding either object in memory.
 */
export async function* readTimedLines(storage: ObjectStorage, key: string): AsyncGenerator<TimedLine[]> {
  const times = new TimesCursor(storage, logTimesKey(key));
  let carry = '';
  const decoder = new TextDecoder();
  try {
    for await (const part of await storage.stream(key)) {
      const texts = (carry + decoder.decode(part as Buffer, { stream: true })).split('\n');
      carry = texts.pop()!;
      if (texts.length > 0) yield zip(texts, await times.take(texts.length));
    }
    const rest = carry + decoder.decode();
    if (rest) yield zip([rest], await times.take(1));
  } finally {
    await times.close();
  }
}

/** The times of an archived log's last `count` lines (what `tail` returned), oldest first. */
export async function lastTimes(storage: ObjectStorage, key: string, count: number): Promise<(number | null)[]> {
  const times = new TimesCursor(storage, logTimesKey(key));
  let last: (number | null)[] = [];
  try {
    for (let batch = await times.next(); batch; batch = await times.next()) last = [...last, ...batch].slice(-count);
  } finally {
    await times.close();
  }
  return [...new Array<null>(Math.max(count - last.length, 0)).fill(null), ...last];
}

/** `<ISO time> <text>`, or `- <text>` for a line without a time (docs/logs.md). */
export function timedText(line: TimedLine): string {
  return `${line.ts === null ? '-' : new Date(line.ts).toISOString()} ${line.text}\n`;
}

function zip(texts: string[], times: (number | null)[]): TimedLine[] {
  return texts.map((text, i) => ({ ts: times[i] ?? null, text }));
}

/** Entries of a times object read on demand; none at all when the object does not exist. */
class TimesCursor {
  private queue: (number | null)[] = [];
  private parts?: AsyncIterator<Buffer | string>;
  private done = false;
  private readonly decoder = new LogTimesDecoder();
  private readonly text = new TextDecoder();

  constructor(
    private readonly storage: ObjectStorage,
    private readonly key: string,
  ) {}

  /** The next `count` entries, null where the object has none. */
  async take(count: number): Promise<(number | null)[]> {
    while (this.queue.length < count) {
      const batch = await this.next();
      if (!batch) break;
      this.queue.push(...batch);
    }
    return this.queue.splice(0, count);
  }

  /** The entries of the next stored part; undefined at the end. */
  async next(): Promise<(number | null)[] | undefined> {
    if (this.done) return undefined;
    if (!this.parts) {
      try {
        this.parts = (await this.storage.stream(this.key))[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
      } catch (error) {
        // Logs archived before times were kept have no times object: their lines have no time.
        if (!(error instanceof ObjectNotFoundError)) throw error;
        this.done = true;
        return undefined;
      }
    }
    const part = await this.parts.next();
    if (part.done) {
      this.done = true;
      return [...this.decoder.push(this.text.decode()), ...this.decoder.end()];
    }
    return this.decoder.push(this.text.decode(part.value as Buffer, { stream: true }));
  }

  async close(): Promise<void> {
    await this.parts?.return?.();
  }
}
