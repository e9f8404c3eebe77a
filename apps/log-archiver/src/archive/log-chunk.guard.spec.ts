import { logChunkProblem } from './log-chunk.guard';

const runId = '00000000-0000-4000-8000-000000000001';
const stepId = '00000000-0000-4000-8000-000000000002';
const good = {
  version: 1,
  runId,
  stepId,
  stepName: 'build',
  attempt: 1,
  seq: 0,
  lines: [{ ts: 1, stream: 'stdout', text: 'hello' }],
  final: false,
};

describe('logChunkProblem', () => {
  it('accepts a well-formed chunk of the step', () => {
    expect(logChunkProblem(good, runId, stepId)).toBeNull();
  });

  it.each([
    ['not an object', 'text', 'not a JSON object'],
    ['another version', { ...good, version: 2 }, 'unknown version 2'],
    ['another step', { ...good, stepId: runId }, 'belongs to another step'],
    ['attempt 0', { ...good, attempt: 0 }, 'attempt is not a whole number ≥ 1'],
    ['a fractional seq', { ...good, seq: 1.5 }, 'seq is not a whole number ≥ 0'],
    ['final missing', { ...good, final: undefined }, 'final is not a boolean'],
    ['lines not a list', { ...good, lines: 'x' }, 'lines is not an array'],
    ['a line without text', { ...good, lines: [{ ts: 1, stream: 'stdout' }] }, 'a line has no text'],
  ])('refuses %s', (_case, data, problem) => {
    expect(logChunkProblem(data, runId, stepId)).toBe(problem);
  });
});
