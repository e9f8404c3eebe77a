import { PassThrough } from 'node:stream';
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

  it('drops the carriage return of CRLF endings only', async () => {
    expect(await linesOf([Buffer.from('one\r\ntw\ro\r\nthree\r')])).toEqual(['one', 'tw\ro', 'three']);
  });

  it('cuts an endless line into pieces of whole characters', async () => {
    const line = `a${'é'.repeat(MAX_LINE_CHARS)}`;
    const pieces = await linesOf([Buffer.from(line)]);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(line);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
  });
});
