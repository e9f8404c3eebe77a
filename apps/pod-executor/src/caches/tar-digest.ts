import { createHash } from 'node:crypto';

const BLOCK = 512;
const REGULAR_FILE = new Set(['0', '\0', '7']);

/**
 * sha256 (hex) of the first regular file in a tar stream, or undefined when it holds none (the path
 * was missing, a folder or a link). Reads only as far as that file, whatever its size.
 */
export async function firstFileDigest(archive: AsyncIterable<Buffer>): Promise<string | undefined> {
  const reader = new TarReader(archive[Symbol.asyncIterator]());
  for (;;) {
    const header = await reader.take(BLOCK);
    if (!header || header.every((byte) => byte === 0)) return undefined;
    const size = octal(header.subarray(124, 136));
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (REGULAR_FILE.has(String.fromCharCode(header[156]))) {
      const hash = createHash('sha256');
      await reader.pass(size, (part) => hash.update(part));
      return hash.digest('hex');
    }
    // A folder, a link, or a GNU/pax header carrying a long name: nothing to hash.
    await reader.pass(padded, () => undefined);
  }
}

function octal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  /** The next `n` bytes, or null when the stream ends first. */
  async take(n: number): Promise<Buffer | null> {
    while (this.pending.length < n && (await this.more()));
    if (this.pending.length < n) return null;
    const bytes = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return bytes;
  }

  /** Hands the next `n` bytes to `sink` as they come, never holding more than a chunk. */
  async pass(n: number, sink: (part: Buffer) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.more())) return;
      const part = this.pending.subarray(0, left);
      sink(part);
      left -= part.length;
      this.pending = this.pending.subarray(part.length);
    }
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, next.value]) : next.value;
    return true;
  }
}
