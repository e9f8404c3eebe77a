import { OutputLine } from './backend';
import { SERVICE_LINES_GRACE_MS, withServiceLines } from './service-lines';

const line = (text: string, stream: OutputLine['stream'] = 'stdout'): OutputLine => ({ stream, text, ts: 0 });

async function* lines(...texts: string[]): AsyncIterable<OutputLine> {
  for (const text of texts) yield line(text);
}

/** A source that yields its lines, then stays open until `close()` (a service still running). */
function openSource(...texts: string[]): { lines: AsyncIterable<OutputLine>; close: () => void } {
  let close = () => undefined as void;
  const closed = new Promise<void>((resolve) => (close = resolve));
  return {
    close: () => close(),
    lines: (async function* () {
      for (const text of texts) yield line(text);
      await closed;
    })(),
  };
}

async function collect(source: AsyncIterable<OutputLine>): Promise<OutputLine[]> {
  const all: OutputLine[] = [];
  for await (const item of source) all.push(item);
  return all;
}

describe('withServiceLines', () => {
  it("prefixes each service's lines with its name and keeps their stream", async () => {
    const merged = await collect(
      withServiceLines(lines('step 1', 'step 2'), [
        { name: 'db', lines: (async function* () { yield line('ready', 'stderr'); })() }, // prettier-ignore
      ]),
    );
    expect(merged).toEqual(
      expect.arrayContaining([line('step 1'), line('step 2'), line('[db] ready', 'stderr')]),
    );
    expect(merged).toHaveLength(3);
  });

  it('prefixes every line of a batch read at once', async () => {
    const merged = await collect(
      withServiceLines(lines('step'), [{ name: 'db', lines: lines('up\nlistening') }]),
    );
    expect(merged).toEqual(expect.arrayContaining([line('[db] up\n[db] listening')]));
  });

  it('keeps the order of each source', async () => {
    const merged = await collect(
      withServiceLines(lines('a', 'b', 'c'), [{ name: 'db', lines: lines('1', '2', '3') }]),
    );
    const texts = merged.map((item) => item.text);
    expect(texts.filter((text) => !text.startsWith('[db]'))).toEqual(['a', 'b', 'c']);
    expect(texts.filter((text) => text.startsWith('[db]'))).toEqual(['[db] 1', '[db] 2', '[db] 3']);
  });

  it('puts the oldest line first when the reader lags behind', async () => {
    const timed = (text: string, ts: number): OutputLine => ({ stream: 'stdout', text, ts });
    async function* from(...items: OutputLine[]): AsyncIterable<OutputLine> {
      yield* items;
    }
    const merged = await collect(
      withServiceLines(from(timed('step 1', 20), timed('step 2', 40)), [
        { name: 'db', lines: from(timed('up', 10), timed('query', 30)) },
      ]),
    );
    expect(merged.map((item) => item.text)).toEqual(['[db] up', 'step 1', '[db] query', 'step 2']);
  });

  it('ends with the step even while a service still runs, keeping the lines it had written', async () => {
    const service = openSource('listening');
    const merged = await collect(withServiceLines(lines('done'), [{ name: 'cache', lines: service.lines }]));
    expect(merged.map((item) => item.text).sort()).toEqual(['[cache] listening', 'done']);
    service.close();
  });

  it('takes what a service writes just after the step ended, and nothing past the grace', async () => {
    const late = new Promise<void>((resolve) => setTimeout(resolve, SERVICE_LINES_GRACE_MS / 3));
    const service = (async function* () {
      yield line('up');
      await late;
      yield line('ping');
      await new Promise((resolve) => setTimeout(resolve, SERVICE_LINES_GRACE_MS * 2));
      yield line('shutting down');
    })();
    const started = Date.now();
    const merged = await collect(withServiceLines(lines('done'), [{ name: 'db', lines: service }]));
    expect(merged.map((item) => item.text).sort()).toEqual(['[db] ping', '[db] up', 'done']);
    expect(Date.now() - started).toBeLessThan(SERVICE_LINES_GRACE_MS * 2);
  });

  it('passes the step through unchanged when a service ended first', async () => {
    const merged = await collect(withServiceLines(lines('x', 'y'), [{ name: 'db', lines: lines() }]));
    expect(merged).toEqual([line('x'), line('y')]);
  });
});
