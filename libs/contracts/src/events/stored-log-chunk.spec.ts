import { storedLogChunkProblem } from './stored-log-chunk';

const runId = '00000000-0000-4000-8000-000000000001';
const stepId = '00000000-0000-4000-8000-000000000002';
const good = {
  version: 2,
  runId,
  stepId,
  stepName: 'build',
  attempt: 1,
  seq: 0,
  text: Buffer.from('hello\n'),
  spans: [{ ts: 1, stream: 'stdout', lines: 1 }],
  final: false,
};

describe('storedLogChunkProblem', () => {
  it('accepts a well-formed chunk of the step, with or without an exit code', () => {
    expect(storedLogChunkProblem(good, runId, stepId)).toBeNull();
    expect(storedLogChunkProblem({ ...good, final: true, exitCode: 3 }, runId, stepId)).toBeNull();
    expect(storedLogChunkProblem({ ...good, final: true, exitCode: null }, runId, stepId)).toBeNull();
  });

  it('counts the lines of a text of many-byte characters by its newline bytes', () => {
    const text = Buffer.from('grüße ✓ 🦀\nzweite Zeile\n');
    expect(
      storedLogChunkProblem({ ...good, text, spans: [{ ts: 1, stream: 'stdout', lines: 2 }] }, runId, stepId),
    ).toBeNull();
    expect(storedLogChunkProblem({ ...good, text }, runId, stepId)).toBe(
      'spans do not count the lines of text',
    );
  });

  it.each([
    ['not an object', 'text', 'not a log chunk'],
    ['another version', { ...good, version: 1 }, 'unknown version 1'],
    ['another step', { ...good, stepId: runId }, 'belongs to another step'],
    ['no step name', { ...good, stepName: 7 }, 'stepName is not a string'],
    ['a fractional exit code', { ...good, exitCode: 0.5 }, 'exitCode is not a whole number'],
    ['attempt 0', { ...good, attempt: 0 }, 'attempt is not a whole number ≥ 1'],
    ['a fractional seq', { ...good, seq: 1.5 }, 'seq is not a whole number ≥ 0'],
    ['final missing', { ...good, final: undefined }, 'final is not a boolean'],
    ['text missing', { ...good, text: undefined }, 'text is missing'],
    ['text as a string', { ...good, text: 'hello\n' }, 'text is missing'],
    ['spans not a list', { ...good, spans: 'x' }, 'spans is not a list of spans'],
    [
      'a span without a count',
      { ...good, spans: [{ ts: 1, stream: 'stdout' }] },
      'spans is not a list of spans',
    ],
    [
      'a span of an unknown stream',
      { ...good, spans: [{ ts: 1, stream: 'stdout", "x": "', lines: 1 }] },
      'spans is not a list of spans',
    ],
    [
      'spans counting other lines',
      { ...good, text: Buffer.from('a\nb\n') },
      'spans do not count the lines of text',
    ],
    [
      'a last line without its newline',
      { ...good, text: Buffer.from('hello') },
      'spans do not count the lines of text',
    ],
  ])('refuses %s', (_case, data, problem) => {
    expect(storedLogChunkProblem(data, runId, stepId)).toBe(problem);
  });
});
