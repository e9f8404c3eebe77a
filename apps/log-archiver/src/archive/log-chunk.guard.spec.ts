import { logChunkProblem } from './log-chunk.guard';

const runId = '00000000-0000-4000-8000-000000000001';
const stepId = '00000000-0000-4000-8000-000000000002';
const good = {
  version: 2,
  runId,
  stepId,
  stepName: 'build',
  attempt: 1,
  seq: 0,
  text: 'hello\n',
  spans: [{ ts: 1, stream: 'stdout', lines: 1 }],
  final: false,
};

describe('logChunkProblem', () => {
  it('accepts a well-formed chunk of the step', () => {
    expect(logChunkProblem(good, runId, stepId)).toBeNull();
  });

  it.each([
    ['not an object', 'text', 'not a log chunk'],
    ['another version', { ...good, version: 1 }, 'unknown version 1'],
    ['another step', { ...good, stepId: runId }, 'belongs to another step'],
    ['attempt 0', { ...good, attempt: 0 }, 'attempt is not a whole number ≥ 1'],
    ['a fractional seq', { ...good, seq: 1.5 }, 'seq is not a whole number ≥ 0'],
    ['final missing', { ...good, final: undefined }, 'final is not a boolean'],
    ['text missing', { ...good, text: undefined }, 'text is not a string'],
    ['spans not a list', { ...good, spans: 'x' }, 'spans is not a list of spans'],
    [
      'a span without a count',
      { ...good, spans: [{ ts: 1, stream: 'stdout' }] },
      'spans is not a list of spans',
    ],
    ['spans counting other lines', { ...good, text: 'a\nb\n' }, 'spans do not count the lines of text'],
    ['a last line without its newline', { ...good, text: 'hello' }, 'spans do not count the lines of text'],
  ])('refuses %s', (_case, data, problem) => {
    expect(logChunkProblem(data, runId, stepId)).toBe(problem);
  });
});
