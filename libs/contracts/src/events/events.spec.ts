import { randomUUID } from 'node:crypto';
import { InvalidEventError, Subjects, validateEvent } from '../index';

describe('event validation', () => {
  const chunk = {
    version: 2,
    runId: randomUUID(),
    stepId: randomUUID(),
    stepName: 'build',
    attempt: 1,
    seq: 0,
    text: 'hello\n',
    spans: [{ ts: Date.now(), stream: 'stdout', lines: 1 }],
    final: false,
  };

  it('turns a valid payload into its class', () => {
    const event = validateEvent(Subjects.Logs, chunk);
    expect(event.text).toBe('hello\n');
    expect(event.spans[0].constructor.name).toBe('LogSpan');
    expect(event.constructor.name).toBe('LogChunkEvent');
  });

  it('names every problem of an invalid payload, nested ones included', () => {
    const bad = { ...chunk, runId: 'nope', spans: [{ ts: 'x', stream: 'tty', lines: 1 }] };
    expect(() => validateEvent(Subjects.Logs, bad)).toThrow(InvalidEventError);
    try {
      validateEvent(Subjects.Logs, bad);
    } catch (error) {
      const problems = (error as InvalidEventError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'runId: runId must be a UUID',
          expect.stringMatching(/^spans\.0\.ts: /),
          expect.stringMatching(/^spans\.0\.stream: /),
        ]),
      );
    }
  });

  it('rejects a log chunk whose spans do not count the lines of its text', () => {
    for (const text of ['hello', 'hello\nworld\n', '']) {
      expect(() => validateEvent(Subjects.Logs, { ...chunk, text })).toThrow(
        /spans must count the lines of text/,
      );
    }
  });

  it('rejects a payload of an unknown version and non-objects', () => {
    expect(() => validateEvent(Subjects.Logs, { ...chunk, version: 1 })).toThrow(/version/);
    expect(() => validateEvent(Subjects.Logs, 'text')).toThrow(/not a JSON object/);
    expect(() => validateEvent(Subjects.Logs, null)).toThrow(/not a JSON object/);
  });
});
