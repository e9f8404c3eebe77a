import { StoredLogChunk } from '@kiln/contracts';
import { Response } from 'express';
import { SseWriter } from './sse';

/** The bytes an SSE answer sent, as a client receives them. */
function capture() {
  const sent: Buffer[] = [];
  const res = {
    status: () => res,
    set: () => res,
    flushHeaders: () => undefined,
    write: (text: string, encoding: BufferEncoding = 'utf8') => sent.push(Buffer.from(text, encoding)),
    end: () => undefined,
    writableEnded: false,
  };
  return { res: res as unknown as Response, sent, text: () => Buffer.concat(sent).toString('utf8') };
}

describe('SseWriter', () => {
  it.each([
    ['ASCII', [{ text: 'plain' }, { text: 'tab\there' }]],
    ['non-ASCII', [{ text: 'grüße ✓' }, { text: '\u{1F600}' }]],
    ['control characters', [{ text: 'bell\u0007' }, { text: 'del\u007f' }]],
  ])('sends numbered events of %s text as UTF-8', (_, payloads) => {
    const { res, text } = capture();
    const sse = new SseWriter(res, -1);
    sse.dataMany(payloads);
    sse.end();
    expect(text()).toBe(
      payloads.map((payload, id) => `id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`).join(''),
    );
  });

  it('skips the events a reconnecting client already had', () => {
    const { res, text } = capture();
    const sse = new SseWriter(res, 0);
    sse.dataMany(['a', 'b']);
    sse.end();
    expect(text()).toBe('id: 1\ndata: "b"\n\n');
  });

  it("writes a big batch in pieces a young GC can free (below V8's 128 KiB large objects)", () => {
    const { res, sent, text } = capture();
    const sse = new SseWriter(res, -1);
    const payloads = Array.from({ length: 2000 }, (_, i) => ({ text: `line ${i} ${'x'.repeat(60)}` }));
    sse.dataMany(payloads);
    sse.end();
    expect(text()).toBe(
      payloads.map((payload, id) => `id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`).join(''),
    );
    expect(sent.length).toBeGreaterThan(2);
    for (const piece of sent) expect(piece.length).toBeLessThan(64 * 1024);
  });

  describe('dataLines', () => {
    const chunk = (text: string): Pick<StoredLogChunk, 'text' | 'spans'> => ({
      text: Buffer.from(text),
      spans: [
        { ts: 1, stream: 'stdout', lines: 1 },
        { ts: 2, stream: 'stderr', lines: text.split('\n').length - 2 },
      ],
    });

    it.each([
      ['plain text', 'one\ntwo words\nthree\n'],
      ['quotes and backslashes', 'say "hi"\nC:\\dir\nplain\n'],
      ['control characters', 'tab\there\nbell\u0007\ncarriage\rreturn\n'],
      ['non-ASCII and emoji', 'grüße ✓\n\u{1F600} smile\n日本\n'],
      // UTF-8 cannot carry a lone surrogate: its bytes (from the executor) hold U+FFFD instead.
      ['a lone surrogate', 'broken \ud800 half\nnext\nlast\n'],
    ])('sends each line of %s as a numbered event holding the JSON of the line', (_, text) => {
      const { res, text: sent } = capture();
      const sse = new SseWriter(res, 0);
      sse.dataLines(chunk(text));
      sse.end();
      const events = Buffer.from(text)
        .toString('utf8')
        .split('\n')
        .slice(0, -1)
        .map((line, i) => ({
          id: i,
          data: { ts: i === 0 ? 1 : 2, stream: i === 0 ? 'stdout' : 'stderr', text: line },
        }));
      // Event 0 is skipped: the client had it before reconnecting.
      expect(sent()).toBe(
        events
          .slice(1)
          .map(({ id, data }) => `id: ${id}\ndata: ${JSON.stringify(data)}\n\n`)
          .join(''),
      );
    });

    it('escapes the lines of each decoded piece of a long chunk that needs it', () => {
      const { res, text: sent } = capture();
      const sse = new SseWriter(res, -1);
      const lines = Array.from(
        { length: 3000 },
        (_, i) => `plain line ${i} of a long chunk, nothing to escape`,
      );
      lines.push('say "hi" \\ then a tab\there', 'plain again');
      sse.dataLines({
        text: Buffer.from(lines.map((l) => `${l}\n`).join('')),
        spans: [{ ts: 7, stream: 'stdout', lines: lines.length }],
      });
      sse.end();
      const data = sent()
        .split('\n\n')
        .filter(Boolean)
        .map((event) => JSON.parse(event.split('\ndata: ')[1]) as { text: string });
      expect(data.map((d) => d.text)).toEqual(lines);
    });

    it("writes a flood chunk in pieces below V8's large-object size", () => {
      const { res, sent, text } = capture();
      const sse = new SseWriter(res, -1);
      const line = 'a line of a flood, long enough to look like build output';
      sse.dataLines({
        text: Buffer.from(`${line}\n`.repeat(4000)),
        spans: [{ ts: 5, stream: 'stdout', lines: 4000 }],
      });
      sse.end();
      expect(sent.length).toBeGreaterThan(2);
      for (const piece of sent) expect(piece.length).toBeLessThan(64 * 1024);
      expect(text().split('\n\n').filter(Boolean)).toHaveLength(4000);
    });
  });
});
