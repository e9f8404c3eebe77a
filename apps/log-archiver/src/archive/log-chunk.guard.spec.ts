import { encodeLogChunk, LogChunkEvent } from '@kiln/contracts';
import { readLogChunk } from './log-chunk.guard';

const runId = '00000000-0000-4000-8000-000000000001';
const stepId = '00000000-0000-4000-8000-000000000002';
const good: LogChunkEvent = {
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

/** A chunk as the executor stores it, with `fields` changed (cast: the point is bad fields). */
function stored(fields: Record<string, unknown>): Uint8Array {
  return encodeLogChunk({ ...good, ...fields } as unknown as LogChunkEvent);
}

describe('readLogChunk', () => {
  it('reads a well-formed chunk of the step, its text as the stored bytes', () => {
    const read = readLogChunk(
      stored({ text: 'héllo\n∑ two\n', spans: [{ ts: 1, stream: 'stdout', lines: 2 }] }),
      runId,
      stepId,
    );
    expect(read).toEqual({
      chunk: { ...good, text: Buffer.from('héllo\n∑ two\n'), spans: [{ ts: 1, stream: 'stdout', lines: 2 }] },
    });
  });

  it('reads an empty text', () => {
    expect(readLogChunk(stored({ text: '', spans: [], final: true }), runId, stepId)).toEqual({
      chunk: { ...good, text: Buffer.alloc(0), spans: [], final: true },
    });
  });

  it('replaces bytes that are not UTF-8 as decoding the text would', () => {
    const head = Buffer.from(`${JSON.stringify({ ...good, text: undefined })}\n`);
    const read = readLogChunk(Buffer.concat([head, Buffer.from([0x61, 0xff, 0x0a])]), runId, stepId);
    expect(read).toMatchObject({ chunk: { text: Buffer.from('a\ufffd\n') } });
  });

  it.each([
    ['bytes without a line of JSON', Buffer.from('hello'), 'not a log chunk'],
    ['a first line that is not JSON', Buffer.from('{hello\nworld\n'), 'not a log chunk'],
    ['a first line that is no object', Buffer.from('"text"\nhello\n'), 'not a log chunk'],
    ['another version', stored({ version: 1 }), 'unknown version 1'],
    ['another step', stored({ stepId: runId }), 'belongs to another step'],
    ['attempt 0', stored({ attempt: 0 }), 'attempt is not a whole number ≥ 1'],
    ['a fractional seq', stored({ seq: 1.5 }), 'seq is not a whole number ≥ 0'],
    ['final missing', stored({ final: undefined }), 'final is not a boolean'],
    ['spans not a list', stored({ spans: 'x' }), 'spans is not a list of spans'],
    [
      'a span without a count',
      stored({ spans: [{ ts: 1, stream: 'stdout' }] }),
      'spans is not a list of spans',
    ],
    ['spans counting other lines', stored({ text: 'a\nb\n' }), 'spans do not count the lines of text'],
    ['a last line without its newline', stored({ text: 'hello' }), 'spans do not count the lines of text'],
  ])('refuses %s', (_case, data, problem) => {
    expect(readLogChunk(data, runId, stepId)).toEqual({ problem });
  });
});
