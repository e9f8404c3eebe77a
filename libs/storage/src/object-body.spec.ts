import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestedChunks, ObjectDigest, splitIntoParts } from './object-body';

async function parts(chunks: string[], partSize: number) {
  const digest = new ObjectDigest();
  const out: { data: string; last: boolean }[] = [];
  for await (const part of splitIntoParts(digestedChunks(Readable.from(chunks), digest), partSize)) {
    out.push({ data: part.data.toString(), last: part.last });
  }
  return { out, result: digest.result() };
}

describe('splitting a body into parts', () => {
  it('yields full parts and a shorter last one, whatever the chunking', async () => {
    const { out } = await parts(['ab', 'cdefg', 'h', 'ijk'], 4);
    expect(out).toEqual([
      { data: 'abcd', last: false },
      { data: 'efgh', last: false },
      { data: 'ijk', last: true },
    ]);
  });

  it('marks a body of exactly one part as a single last part', async () => {
    expect((await parts(['abcd'], 4)).out).toEqual([{ data: 'abcd', last: true }]);
  });

  it('yields one empty last part for an empty body', async () => {
    expect((await parts([], 4)).out).toEqual([{ data: '', last: true }]);
  });

  it('counts without hashing when told not to hash', async () => {
    const digest = new ObjectDigest(false);
    for await (const chunk of digestedChunks(Readable.from(['hello ', 'world']), digest))
      expect(chunk).toBeInstanceOf(Buffer);
    expect(digest.result()).toEqual({ size: 11 });
  });

  it('digests every byte that passed', async () => {
    const { result } = await parts(['hello ', 'world'], 4);
    expect(result).toEqual({ size: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
  });
});
