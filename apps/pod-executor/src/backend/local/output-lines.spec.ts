import { PassThrough } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_LINE_CHARS, OutputLines } from './output-lines';

/** Every line the reader gets, as text, after writing `reads` to stdout one by one. */
async function linesOf(reads: Buffer[]): Promise<string[]> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const lines = new OutputLines({ stdout, stderr });
  stderr.end();
  const got: string[] = [];
  const reading = (async () => {
    for await (const line of lines) got.push(...line.text.split('\n'));
  })();
  for (const read of reads) {
    stdout.write(read);
    await new Promise((r) => setImmediate(r));
  }
  stdout.end();
  await reading;
  return got;
}

describe('OutputLines', () => {
  it('joins a line read in pieces, characters split between reads included', async () => {
    const text = Buffer.from('grüße\nline two\n');
    const at = text.indexOf('ü') + 1;
    expect(await linesOf([text.subarray(0, at), text.subarray(at, 9), text.subarray(9)])).toEqual([
      'grüße',
      'line two',
    ]);
  });

  it('decodes a character cut right before a newline as U+FFFD and keeps its line', async () => {
    const cut = Buffer.from('ü').subarray(0, 1);
    expect(await linesOf([Buffer.concat([Buffer.from('ab'), cut]), Buffer.from('\nnext\n')])).toEqual([
      'ab\uFFFD',
      'next',
    ]);
  });

  it('hands over the line earlier reads began apart from the other lines of a read', async () => {
    const stdout = new PassThrough();
    const lines = new OutputLines({ stdout });
    stdout.write('ab');
    await new Promise((r) => setImmediate(r));
    stdout.end('c\nd\ne\nf');
    const texts: string[] = [];
    for await (const line of lines) texts.push(line.text);
    expect(texts).toEqual(['abc', 'd\ne', 'f']);
  });

  it('drops the carriage return of CRLF endings only', async () => {
    expect(await linesOf([Buffer.from('one\r\ntw\ro\r\nthree\r')])).toEqual(['one', 'tw\ro', 'three']);
  });

  it('keeps no line it has handed to the reader', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const stdout = new PassThrough();
    const lines = new OutputLines({ stdout });
    for (let i = 0; i < 50; i++) {
      stdout.write(`line ${i}\n`);
      await new Promise((r) => setImmediate(r));
    }
    stdout.end();
    const read: WeakRef<object>[] = [];
    const reader = lines[Symbol.asyncIterator]();
    for (let i = 0; i < 40; i++) read.push(new WeakRef((await reader.next()).value as object));
    await new Promise((r) => setImmediate(r));
    gc();
    // The last one read is still the suspended iterator's own variable.
    expect(read.slice(0, -1).filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it('ends at once for a stream that had already ended, empty, when it was handed over', async () => {
    const stderr = new PassThrough();
    stderr.end();
    stderr.resume();
    await new Promise((r) => stderr.once('close', r));
    const stdout = new PassThrough();
    stdout.end('last words\n');
    const got: string[] = [];
    for await (const line of new OutputLines({ stdout, stderr })) got.push(line.text);
    expect(got).toEqual(['last words']);
  });

  it('cuts an endless line into pieces of whole characters', async () => {
    const line = `a${'é'.repeat(MAX_LINE_CHARS)}`;
    const pieces = await linesOf([Buffer.from(line)]);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(line);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
  });
});

/** A Docker Engine attach frame: stream byte, three zero bytes, payload length (uint32 BE), payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Every line with its stream, after writing `bytes` to a multiplexed source in reads of `readSize`. */
async function multiplexedLinesOf(bytes: Buffer, readSize: number): Promise<string[]> {
  const source = new PassThrough();
  const lines = OutputLines.multiplexed(source);
  const got: string[] = [];
  const reading = (async () => {
    for await (const line of lines)
      got.push(...line.text.split('\n').map((text) => `${line.stream}:${text}`));
  })();
  for (let at = 0; at < bytes.length; at += readSize) {
    source.write(bytes.subarray(at, at + readSize));
    await new Promise((r) => setImmediate(r));
  }
  source.end();
  await reading;
  return got;
}

describe('OutputLines.multiplexed (a Docker Engine attach stream)', () => {
  const frames = Buffer.concat([
    frame(1, 'out one\n'),
    frame(2, 'err one\n'),
    frame(1, 'out tw'),
    frame(2, 'err two\nerr three\n'),
    frame(1, 'o\nout three'),
  ]);
  const expected = [
    'stdout:out one',
    'stderr:err one',
    'stderr:err two',
    'stderr:err three',
    'stdout:out two',
    'stdout:out three',
  ];

  it('keeps the order of the frames across stdout and stderr, whatever the reads cut', async () => {
    for (const readSize of [1, 3, 7, 8, 9, 64, frames.length]) {
      expect(await multiplexedLinesOf(frames, readSize)).toEqual(expected);
    }
  });

  it('takes a stream that is not multiplexed (a TTY) as stdout', async () => {
    expect(await multiplexedLinesOf(Buffer.from('plain text\nsecond line\n'), 5)).toEqual([
      'stdout:plain text',
      'stdout:second line',
    ]);
  });

  it('pauses the engine stream while the reader lags, and reads it all once the reader catches up', async () => {
    const source = new PassThrough();
    const lines = OutputLines.multiplexed(source);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 20_000; i++) source.write(frame(1, line));
    source.end();
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    let count = 0;
    for await (const read of lines) count += read.text.split('\n').length;
    expect(count).toBe(20_000);
  });
});

describe('OutputLines when the reader lags or leaves', () => {
  const line = `${'y'.repeat(99)}\n`;

  it('lets paused sources run to their end once the reader gives up', async () => {
    const stdout = new PassThrough();
    const lines = new OutputLines({ stdout });
    for (let i = 0; i < 20_000; i++) stdout.write(line);
    await new Promise((r) => setImmediate(r));
    expect(stdout.isPaused()).toBe(true);
    for await (const _first of lines) break;
    stdout.end('after the reader left\n');
    await new Promise((r) => stdout.once('end', r));
  });

  it("drops lines instead of pausing (overflow 'drop'), and says how many", async () => {
    const source = new PassThrough();
    const lines = OutputLines.multiplexed(source, 'drop');
    for (let i = 0; i < 20_000; i++) source.write(frame(1, line));
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(false);
    source.end(frame(1, 'the last line\n'));
    const texts: string[] = [];
    for await (const read of lines) texts.push(...read.text.split('\n'));
    const notice = texts.find((text) => text.startsWith('['));
    const dropped = Number(/^\[(\d+) lines dropped/.exec(notice ?? '')?.[1]);
    expect(dropped).toBeGreaterThan(0);
    expect(texts.length - 1 + dropped).toBe(20_001);
  });

  it('keeps a TTY output shorter than a frame header', async () => {
    expect(await multiplexedLinesOf(Buffer.from('ok\n'), 1)).toEqual(['stdout:ok']);
  });
});
