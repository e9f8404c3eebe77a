/**
 * The times of an archived log's lines, kept in an object beside the log (`logTimesKey`) so the
 * log itself stays plain text: downloads, byte ranges, tails and presigned URLs read it as it is.
 *
 * Format (docs/logs.md): a first line `kiln-log-times 1`, then one line per line of the log, in
 * order: the milliseconds since the previous timed entry (the first: since the epoch), or empty
 * when that log line has no time (a marker the archiver wrote in place of missing chunks).
 * Lines of one log mostly come milliseconds apart, so an entry is two or three bytes.
 */
export const LOG_TIMES_HEADER = 'kiln-log-times 1';

export function logTimesKey(logKey: string): string {
  return `${logKey}.times`;
}

export class LogTimesEncoder {
  private last = 0;
  private started = false;

  /** The entries of `count` log lines read at `ts` (null: without a time). */
  encode(ts: number | null, count = 1): string {
    const header = this.started ? '' : `${LOG_TIMES_HEADER}\n`;
    this.started = true;
    if (count <= 0) return header;
    if (ts === null) return header + '\n'.repeat(count);
    const delta = ts - this.last;
    this.last = ts;
    return `${header}${delta}\n${'0\n'.repeat(count - 1)}`;
  }
}

/** Reads entries back piece by piece; a file of another format gives no times (every entry null). */
export class LogTimesDecoder {
  private carry = '';
  private last = 0;
  private header: 'pending' | 'ok' | 'unknown' = 'pending';

  /** The times of the entries `text` completes, in order. */
  push(text: string): (number | null)[] {
    const parts = (this.carry + text).split('\n');
    this.carry = parts.pop()!;
    const times: (number | null)[] = [];
    for (const part of parts) {
      if (this.header === 'pending') {
        this.header = part === LOG_TIMES_HEADER ? 'ok' : 'unknown';
        if (this.header === 'ok') continue;
      }
      times.push(this.header === 'ok' ? this.entry(part) : null);
    }
    return times;
  }

  /** The entry of an unterminated last line, if any. */
  end(): (number | null)[] {
    return this.carry === '' ? [] : this.push('\n');
  }

  private entry(part: string): number | null {
    if (part === '') return null;
    const delta = Number(part);
    if (!Number.isSafeInteger(delta)) return null;
    this.last += delta;
    return this.last;
  }
}
