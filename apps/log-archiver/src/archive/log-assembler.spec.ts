import { StoredLogChunk } from '@kiln/contracts';
import { LogTimesDecoder } from '@kiln/storage';
import { LogAssembler } from './log-assembler';

function chunk(
  seq: number,
  opts: { attempt?: number; final?: boolean; text?: string; ts?: number } = {},
): StoredLogChunk {
  const text = opts.text ?? `line ${seq}`;
  return {
    version: 2,
    runId: '00000000-0000-4000-8000-000000000001',
    stepId: '00000000-0000-4000-8000-000000000002',
    stepName: 'build',
    attempt: opts.attempt ?? 1,
    seq,
    text: Buffer.from(`${text}\n`),
    spans: [{ ts: opts.ts ?? 0, stream: 'stdout', lines: text.split('\n').length }],
    final: opts.final ?? false,
  };
}

function assembler(attempt: number, expected?: number) {
  let text = '';
  let times = '';
  const log = new LogAssembler(attempt, expected, async (piece, entries) => {
    text += piece.toString('utf8');
    times += entries;
  });
  return { log, text: () => text, times: () => new LogTimesDecoder().push(times) };
}

describe('LogAssembler', () => {
  it('keeps the time of every stored line, none for a missing-chunks marker', async () => {
    const { log, text, times } = assembler(1, 3);
    await log.add(chunk(0, { ts: 1_765_000_000_000 }));
    await log.add(chunk(2, { ts: 1_765_000_000_500, text: 'two\nlines' }));
    await log.finish();
    expect(text()).toBe('line 0\n[log incomplete: chunks 1..1 missing]\ntwo\nlines\n');
    expect(times()).toEqual([1_765_000_000_000, null, 1_765_000_000_500, 1_765_000_000_500]);
  });

  it('writes chunks in seq order whatever order they arrive in', async () => {
    const { log, text } = assembler(1, 3);
    for (const seq of [2, 0, 1]) await log.add(chunk(seq));
    expect(log.complete).toBe(true);
    expect(await log.finish()).toEqual({ chunks: 3, lines: 3, missing: [] });
    expect(text()).toBe('line 0\nline 1\nline 2\n');
  });

  it('keeps one copy of a repeated seq and drops other attempts', async () => {
    const { log, text } = assembler(2, 2);
    await log.add(chunk(0, { attempt: 1, text: 'old' }));
    await log.add(chunk(0, { attempt: 2 }));
    await log.add(chunk(0, { attempt: 2 }));
    await log.add(chunk(1, { attempt: 2 }));
    await log.add(chunk(1, { attempt: 2 }));
    await log.finish();
    expect(text()).toBe('line 0\nline 1\n');
  });

  it('marks missing chunks where they belong, trailing ones included', async () => {
    const { log, text } = assembler(1, 6);
    for (const seq of [0, 3, 4]) await log.add(chunk(seq));
    expect(log.complete).toBe(false);
    expect(log.missing()).toEqual([
      { from: 1, to: 2 },
      { from: 5, to: 5 },
    ]);
    await log.finish();
    expect(text()).toBe(
      'line 0\n[log incomplete: chunks 1..2 missing]\nline 3\nline 4\n[log incomplete: chunks 5..5 missing]\n',
    );
  });

  it('learns the chunk count from the final chunk when step.finished did not say', async () => {
    const { log } = assembler(1, undefined);
    await log.add(chunk(0));
    expect(log.complete).toBe(false);
    await log.add(chunk(1, { final: true }));
    expect(log.complete).toBe(true);
  });

  it('reports no trailing gap when the chunk count is unknown', async () => {
    const { log, text } = assembler(1, undefined);
    await log.add(chunk(0));
    await log.add(chunk(2));
    expect(await log.finish()).toMatchObject({ missing: [{ from: 1, to: 1 }] });
    expect(text()).toBe('line 0\n[log incomplete: chunks 1..1 missing]\nline 2\n');
  });
});
