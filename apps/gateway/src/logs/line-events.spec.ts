import { LogChunkEvent } from '@kiln/contracts';
import { lineEvents } from './line-events';

const chunk = (text: string): LogChunkEvent => ({
  version: 2,
  runId: 'r',
  stepId: 's',
  stepName: 'build',
  attempt: 1,
  seq: 0,
  text,
  spans: [
    { ts: 1, stream: 'stdout', lines: 1 },
    { ts: 2, stream: 'stderr', lines: text.split('\n').length - 2 },
  ],
  final: false,
});

describe('lineEvents', () => {
  it.each([
    ['plain text', 'one\ntwo words\nthree\n'],
    ['quotes and backslashes', 'say "hi"\nC:\\dir\nplain\n'],
    ['control characters', 'tab\there\nbell\u0007\ncarriage\rreturn\n'],
    ['non-ASCII and emoji', 'grüße ✓\n\u{1F600} smile\n日本\n'],
    ['a lone surrogate', 'broken \ud800 half\nnext\nlast\n'],
  ])('writes each line of %s as the JSON of its event', (_, text) => {
    const events = lineEvents(chunk(text)).map((event) => JSON.parse(event) as unknown);
    const lines = text.split('\n').slice(0, -1);
    expect(events).toEqual(lines.map((line, i) => ({ ts: i === 0 ? 1 : 2, stream: i === 0 ? 'stdout' : 'stderr', text: line })));
    expect(lineEvents(chunk(text))).toEqual(
      lines.map((line, i) => JSON.stringify({ ts: i === 0 ? 1 : 2, stream: i === 0 ? 'stdout' : 'stderr', text: line })),
    );
  });
});
