import { FsObjectStorage, LogTimesEncoder, logTimesKey } from '@kiln/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastTimes, readTimedLines, timedText } from './timed-lines';

describe('timed lines of an archived log', () => {
  const root = mkdtempSync(join(tmpdir(), 'kiln-timed-'));
  const storage = new FsObjectStorage(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function store(key: string, lines: [string, number | null][]): Promise<void> {
    const encoder = new LogTimesEncoder();
    await storage.put(key, lines.map(([text]) => `${text}\n`).join(''));
    await storage.put(logTimesKey(key), lines.map(([, ts]) => encoder.encode(ts)).join(''));
  }

  async function all(key: string) {
    const lines = [];
    for await (const batch of readTimedLines(storage, key)) lines.push(...batch);
    return lines;
  }

  it('pairs every line with its time', async () => {
    await store('logs/a.log', [
      ['one', 1_765_000_000_000],
      ['[log incomplete: chunks 1..1 missing]', null],
      ['three', 1_765_000_000_250],
    ]);
    expect(await all('logs/a.log')).toEqual([
      { text: 'one', ts: 1_765_000_000_000 },
      { text: '[log incomplete: chunks 1..1 missing]', ts: null },
      { text: 'three', ts: 1_765_000_000_250 },
    ]);
    expect(await lastTimes(storage, 'logs/a.log', 2)).toEqual([null, 1_765_000_000_250]);
  });

  it('gives lines of a log archived without times no time', async () => {
    await storage.put('logs/old.log', 'one\ntwo\n');
    expect(await all('logs/old.log')).toEqual([
      { text: 'one', ts: null },
      { text: 'two', ts: null },
    ]);
    expect(await lastTimes(storage, 'logs/old.log', 1)).toEqual([null]);
  });

  it('prints a line with its ISO time, or a dash without one', () => {
    expect(timedText({ ts: Date.UTC(2026, 11, 6, 13, 38, 14, 5), text: 'hi' })).toBe('2026-12-06T13:38:14.005Z hi\n');
    expect(timedText({ ts: null, text: 'marker' })).toBe('- marker\n');
  });
});
