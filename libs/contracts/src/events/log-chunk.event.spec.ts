import { forEachLogLine, LogSpan } from './log-chunk.event';

type Line = [text: string, ts: number, stream: string];

function linesOf(chunk: { text: string | Buffer; spans: LogSpan[] }): { lines: Line[]; pieces: string[] } {
  const lines: Line[] = [];
  const pieces: string[] = [];
  forEachLogLine(chunk, (text, ts, stream, piece) => {
    lines.push([text, ts, stream]);
    if (pieces.at(-1) !== piece) pieces.push(piece);
  });
  return { lines, pieces };
}

describe('forEachLogLine', () => {
  it('gives each line of a text with the time and stream of its span', () => {
    const spans: LogSpan[] = [
      { ts: 1, stream: 'stdout', lines: 2 },
      { ts: 2, stream: 'stderr', lines: 1 },
    ];
    const expected: Line[] = [
      ['one', 1, 'stdout'],
      ['', 1, 'stdout'],
      ['grüße ✓', 2, 'stderr'],
    ];
    expect(linesOf({ text: 'one\n\ngrüße ✓\n', spans }).lines).toEqual(expected);
    expect(linesOf({ text: Buffer.from('one\n\ngrüße ✓\n'), spans }).lines).toEqual(expected);
  });

  it('decodes a long text of bytes a piece of whole lines at a time, under 64 KiB unless a line is longer', () => {
    // Many-byte characters everywhere, so a piece cut inside a character would show U+FFFD.
    const line = (i: number) => `${i} ✓ grüße ${'🦀'.repeat(i % 7)}`;
    const lines = Array.from({ length: 6000 }, (_, i) => line(i));
    lines.splice(3000, 0, 'x'.repeat(100 * 1024));
    const text = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    const spans: LogSpan[] = [
      { ts: 1, stream: 'stdout', lines: 2999 },
      { ts: 2, stream: 'stderr', lines: 2 },
      { ts: 3, stream: 'system', lines: lines.length - 3001 },
    ];
    const { lines: got, pieces } = linesOf({ text, spans });
    expect(got.map(([l]) => l)).toEqual(lines);
    expect(got[2998]).toEqual([lines[2998], 1, 'stdout']);
    expect(got[2999]).toEqual([lines[2999], 2, 'stderr']);
    expect(got[3000]).toEqual([lines[3000], 2, 'stderr']);
    expect(got[3001]).toEqual([lines[3001], 3, 'system']);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(text.toString('utf8'));
    const long = pieces.filter((p) => Buffer.byteLength(p) > 64 * 1024);
    expect(long).toHaveLength(1);
    expect(long[0]).toContain('x'.repeat(100 * 1024));
    for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true);
  });

  it('stops at the lines its spans count', () => {
    const spans: LogSpan[] = [{ ts: 1, stream: 'stdout', lines: 1 }];
    expect(linesOf({ text: Buffer.from('a\nb\n'), spans }).lines).toEqual([['a', 1, 'stdout']]);
  });
});
