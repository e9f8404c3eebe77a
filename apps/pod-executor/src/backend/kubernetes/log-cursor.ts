const NS_PER_SECOND = 1_000_000_000n;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the epoch of an RFC 3339 timestamp (the kubelet's `timestamps=true` prefix). */
export function parseLogTimestamp(text: string): bigint | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return (BigInt(seconds) / 1000n) * NS_PER_SECOND + BigInt((match[2] ?? '0').padEnd(9, '0'));
}

/** Splits `<timestamp> <text>`; lines without a readable timestamp keep their text and get none. */
export function splitLogLine(raw: string): { ns?: bigint; text: string } {
  const space = raw.indexOf(' ');
  const ns = space > 0 ? parseLogTimestamp(raw.slice(0, space)) : undefined;
  return ns === undefined ? { text: raw } : { ns, text: raw.slice(space + 1) };
}

/**
 * Where a followed log got to, so a broken stream resumes without losing or repeating a line. A
 * resumed request asks for `sinceTime` = the last line's second (some API servers keep only whole
 * seconds there), which replays lines already read: those older than the last timestamp are dropped,
 * and of those stamped exactly like it, as many as were already read.
 */
export class LogCursor {
  private last?: bigint;
  private readAtLast = 0;
  private toSkip = 0;

  /** For a resumed request: the last line's timestamp rounded down to the second. */
  sinceTime(): string | undefined {
    if (this.last === undefined) return undefined;
    const seconds = Number(this.last / NS_PER_SECOND);
    return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Call before reading a new response: its first lines may repeat ones already read. */
  beginResponse(): void {
    this.toSkip = this.readAtLast;
  }

  /** Whether the line stamped `ns` is new (and records it). Lines without a timestamp always are. */
  accept(ns: bigint | undefined): boolean {
    if (ns === undefined) return true;
    if (this.last !== undefined && ns < this.last) return false;
    if (this.last !== undefined && ns === this.last) {
      if (this.toSkip > 0) {
        this.toSkip -= 1;
        return false;
      }
      this.readAtLast += 1;
      return true;
    }
    this.last = ns;
    this.readAtLast = 1;
    this.toSkip = 0;
    return true;
  }
}
