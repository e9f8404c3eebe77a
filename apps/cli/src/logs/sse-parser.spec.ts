import { ServerSentEvent, SseParser } from './sse-parser';

describe('Server-Sent Events parser', () => {
  const parse = (chunks: string[]) => {
    const events: ServerSentEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    chunks.forEach((c) => parser.feed(c));
    return events;
  };

  it('reads events split across chunks at any point, \\r\\n included', () => {
    const text =
      'id: 4\r\ndata: {"text":"a"}\r\n\r\n: keep-alive\r\n\r\nevent: end\r\ndata: {"exit_code":0}\r\n\r\n';
    const expected = [
      { data: '{"text":"a"}', id: '4', event: undefined },
      { event: 'end', data: '{"exit_code":0}', id: '4' },
    ];
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    }
  });

  it('joins multi-line data and ignores comments and events without data', () => {
    expect(parse([': hello\n\nevent: ping\n\ndata: one\ndata:two\n\n'])).toEqual([
      { data: 'one\ntwo', event: undefined, id: undefined },
    ]);
  });
});
