import { FsObjectStorage } from '@kiln/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailObject } from './tail';

describe('tailObject', () => {
  const root = mkdtempSync(join(tmpdir(), 'kiln-tail-'));
  const storage = new FsObjectStorage(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function tail(text: string, lines: number): Promise<string> {
    await storage.put('logs/a.log', text);
    return (await tailObject(storage, 'logs/a.log', Buffer.byteLength(text), lines)).toString();
  }

  it('keeps the last lines with their final newline', async () => {
    expect(await tail('one\ntwo\nthree\n', 2)).toBe('two\nthree\n');
    expect(await tail('one\ntwo\nthree', 1)).toBe('three');
  });

  it('answers the whole log when it has fewer lines', async () => {
    expect(await tail('one\ntwo\n', 5)).toBe('one\ntwo\n');
    expect(await tail('', 5)).toBe('');
  });

  it('reads only the end of a log much bigger than its window', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    const text = `${lines.join('\n')}\n`;
    expect(await tail(text, 3)).toBe('line 49997\nline 49998\nline 49999\n');
    expect((await tail(text, 20_000)).split('\n')[0]).toBe('line 30000');
  });
});
