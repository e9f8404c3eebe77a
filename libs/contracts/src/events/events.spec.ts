import { randomUUID } from 'node:crypto';
import { InvalidEventError, Subjects, validateEvent } from '../index';

describe('event validation', () => {
  const chunk = {
    version: 1,
    runId: randomUUID(),
    stepId: randomUUID(),
    stepName: 'build',
    attempt: 1,
    seq: 0,
    lines: [{ ts: Date.now(), stream: 'stdout', text: 'hello' }],
    final: false,
  };

  it('turns a valid payload into its class', () => {
    const event = validateEvent(Subjects.Logs, chunk);
    expect(event.lines[0].text).toBe('hello');
    expect(event.constructor.name).toBe('LogChunkEvent');
  });

  it('names every problem of an invalid payload, nested ones included', () => {
    const bad = { ...chunk, runId: 'nope', lines: [{ ts: 'x', stream: 'tty', text: 1 }] };
    expect(() => validateEvent(Subjects.Logs, bad)).toThrow(InvalidEventError);
    try {
      validateEvent(Subjects.Logs, bad);
    } catch (error) {
      const problems = (error as InvalidEventError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'runId: runId must be a UUID',
          expect.stringMatching(/^lines\.0\.ts: /),
          expect.stringMatching(/^lines\.0\.stream: /),
          expect.stringMatching(/^lines\.0\.text: /),
        ]),
      );
    }
  });

  it('rejects a payload of an unknown version and non-objects', () => {
    expect(() => validateEvent(Subjects.Logs, { ...chunk, version: 2 })).toThrow(/version/);
    expect(() => validateEvent(Subjects.Logs, 'text')).toThrow(/not a JSON object/);
    expect(() => validateEvent(Subjects.Logs, null)).toThrow(/not a JSON object/);
  });
});
