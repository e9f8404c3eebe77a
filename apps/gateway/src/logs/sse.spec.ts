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
    ['ASCII', ['{"text":"plain"}', '{"text":"tab\\there"}']],
    ['non-ASCII', ['{"text":"grüße ✓"}', '{"text":"\u{1F600}"}']],
    ['control characters', ['{"text":"bell\u0007"}', '{"text":"del\u007f"}']],
  ])('sends numbered events of %s text as UTF-8', (_, payloads) => {
    const { res, text } = capture();
    const sse = new SseWriter(res, -1);
    sse.dataJson(payloads);
    sse.end();
    expect(text()).toBe(payloads.map((payload, id) => `id: ${id}\ndata: ${payload}\n\n`).join(''));
  });

  it('skips the events a reconnecting client already had', () => {
    const { res, text } = capture();
    const sse = new SseWriter(res, 0);
    sse.dataJson(['"a"', '"b"']);
    sse.end();
    expect(text()).toBe('id: 1\ndata: "b"\n\n');
  });

  it("writes a big batch in pieces a young GC can free (below V8's 128 KiB large objects)", () => {
    const { res, sent, text } = capture();
    const sse = new SseWriter(res, -1);
    const payloads = Array.from({ length: 2000 }, (_, i) => `{"text":"line ${i} ${'x'.repeat(60)}"}`);
    sse.dataJson(payloads);
    sse.end();
    expect(text()).toBe(payloads.map((payload, id) => `id: ${id}\ndata: ${payload}\n\n`).join(''));
    expect(sent.length).toBeGreaterThan(2);
    for (const piece of sent) expect(piece.length).toBeLessThan(64 * 1024);
  });
});
