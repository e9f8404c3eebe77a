import { randomUUID } from 'node:crypto';
import { decodeEvent, decodeLogChunk, decodeLogChunkBytes, encodeEvent, encodeLogChunk } from './event-codec';
import { LogChunkEvent } from './events/log-chunk.event';
import { validateEvent } from './validate-event';
import { Subjects } from './subjects';

const chunk = (text: string): LogChunkEvent => ({
  version: 2,
  runId: randomUUID(),
  stepId: randomUUID(),
  stepName: 'build',
  attempt: 1,
  seq: 3,
  text,
  spans: text ? [{ ts: 1_765_000_000_000, stream: 'stdout', lines: text.split('\n').length - 1 }] : [],
  final: true,
  exitCode: 0,
});

describe('event codec', () => {
  it.each([
    ['ASCII', 'hello\nworld\n'],
    ['UTF-8', 'grüße ✓ 日本\n\u{1F600}\n'],
    ['JSON-looking', '{"text":"not me"}\n"quoted"\\n\n'],
    ['no lines', ''],
  ])('sends a log chunk with %s text as a line of JSON and the text as it is', (_, text) => {
    const sent = chunk(text);
    const data = encodeEvent(`${Subjects.Logs}.${sent.runId}.${sent.stepId}`, sent);
    const newline = Buffer.from(data).indexOf('\n');
    expect(
      Buffer.from(data)
        .subarray(newline + 1)
        .toString('utf8'),
    ).toBe(text);
    expect(JSON.parse(Buffer.from(data).subarray(0, newline).toString())).not.toHaveProperty('text');
    expect(validateEvent(Subjects.Logs, decodeEvent(Subjects.Logs, data))).toEqual(sent);
  });

  it('refuses bytes without a JSON object before the text', () => {
    expect(() => decodeLogChunk(Buffer.from('no newline'))).toThrow(SyntaxError);
    expect(() => decodeLogChunk(Buffer.from('[1]\ntext\n'))).toThrow(/not a JSON object/);
    expect(() => decodeLogChunk(Buffer.from('{oops\ntext\n'))).toThrow(SyntaxError);
  });

  it('keeps the text of the chunk, not a text field of its JSON line', () => {
    const data = Buffer.concat([Buffer.from('{"text":"forged\\n","seq":1}\n'), Buffer.from('real\n')]);
    expect(decodeLogChunk(data)).toEqual({ seq: 1, text: 'real\n' });
  });

  it('can leave the text as a view of its bytes', () => {
    const data = Buffer.concat([Buffer.from('{"text":"forged\\n","seq":1}\n'), Buffer.from('grüße ✓\n')]);
    const chunk = decodeLogChunkBytes(data);
    expect(chunk).toEqual({ seq: 1, text: Buffer.from('grüße ✓\n') });
    expect(chunk.text.buffer).toBe(data.buffer);
    expect(() => decodeLogChunkBytes(Buffer.from('[1]\ntext\n'))).toThrow(/not a JSON object/);
  });

  it('encodes other events as JSON', () => {
    const event = { version: 1, runId: randomUUID(), requestedBy: 'me', reason: 'test' };
    const data = encodeEvent(Subjects.RunCancel, event);
    expect(JSON.parse(Buffer.from(data).toString())).toEqual(event);
    expect(decodeEvent(Subjects.RunCancel, data)).toEqual(event);
    expect(encodeLogChunk(chunk('a\n'))).toBeInstanceOf(Uint8Array);
  });
});
