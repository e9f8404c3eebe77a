import { LogCursor, parseLogTimestamp, splitLogLine } from './log-cursor';

const ns = (text: string) => parseLogTimestamp(text)!;

describe('log timestamps', () => {
  it('reads RFC 3339 timestamps with any number of fractional digits and offsets', () => {
    expect(ns('2026-01-02T03:04:05.123456789Z')).toBe(1767323045123456789n);
    expect(ns('2026-01-02T03:04:05.1Z')).toBe(1767323045100000000n);
    expect(ns('2026-01-02T03:04:05Z')).toBe(1767323045000000000n);
    expect(ns('2026-01-02T05:04:05.5+02:00')).toBe(1767323045500000000n);
    expect(parseLogTimestamp('yesterday')).toBeUndefined();
  });

  it('splits the timestamp prefix from the text, keeping spaces of the text', () => {
    expect(splitLogLine('2026-01-02T03:04:05.000000001Z   indented')).toEqual({
      ns: 1767323045000000001n,
      text: '  indented',
    });
    expect(splitLogLine('2026-01-02T03:04:05Z ')).toEqual({ ns: 1767323045000000000n, text: '' });
    expect(splitLogLine('no timestamp here')).toEqual({ text: 'no timestamp here' });
  });
});

describe('LogCursor', () => {
  it('accepts everything of a first response, including lines that share a timestamp', () => {
    const cursor = new LogCursor();
    cursor.beginResponse();
    expect([1n, 1n, 2n, 2n, 2n].map((t) => cursor.accept(t))).toEqual([true, true, true, true, true]);
  });

  it('drops exactly the lines a resumed response replays', () => {
    const cursor = new LogCursor();
    cursor.beginResponse();
    for (const t of [5n, 7n, 7n]) cursor.accept(t);
    cursor.beginResponse();
    // Replayed from the start of the second: 5 and the two 7s were read, the third 7 and 8 are new.
    expect([5n, 7n, 7n, 7n, 8n].map((t) => cursor.accept(t))).toEqual([false, false, false, true, true]);
    cursor.beginResponse();
    expect([7n, 7n, 7n, 8n, 9n].map((t) => cursor.accept(t))).toEqual([false, false, false, false, true]);
  });

  it('resumes from the whole second of the last line', () => {
    const cursor = new LogCursor();
    expect(cursor.sinceTime()).toBeUndefined();
    cursor.accept(ns('2026-01-02T03:04:05.987654321Z'));
    expect(cursor.sinceTime()).toBe('2026-01-02T03:04:05Z');
  });
});
