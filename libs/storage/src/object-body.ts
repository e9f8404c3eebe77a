import { createHash } from 'node:crypto';
import { ObjectBody, PutResult, PutSize } from './object-storage';

/** Counts the bytes of a body as they pass, and hashes them unless told not to. */
export class ObjectDigest {
  private readonly hash;
  private bytes = 0;

  constructor(hashing = true) {
    this.hash = hashing ? createHash('sha256') : undefined;
  }

  get size(): number {
    return this.bytes;
  }

  update(chunk: Buffer): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
  }

  result(): PutResult | PutSize {
    return this.hash ? { size: this.bytes, sha256: this.hash.digest('hex') } : { size: this.bytes };
  }
}

/** The body as Buffer chunks, each passed through `digest` on the way. */
export async function* digestedChunks(body: ObjectBody, digest: ObjectDigest): AsyncGenerator<Buffer> {
  const source =
    typeof body === 'string' || Buffer.isBuffer(body) ? [body] : (body as AsyncIterable<Buffer | string>);
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    digest.update(chunk);
    yield chunk;
  }
}

export interface BodyPart {
  data: Buffer;
  /** True for the final part, which may be shorter than the part size (or empty for an empty body). */
  last: boolean;
}

/**
 * Regroups chunks into parts of exactly `partSize` bytes plus a final shorter one. A part is only
 * yielded once a byte beyond it has arrived, so the first part tells whether one request suffices.
 */
export async function* splitIntoParts(
  chunks: AsyncIterable<Buffer>,
  partSize: number,
): AsyncGenerator<BodyPart> {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  for await (const chunk of chunks) {
    pending.push(chunk);
    pendingSize += chunk.length;
    while (pendingSize > partSize) {
      const all = Buffer.concat(pending, pendingSize);
      yield { data: all.subarray(0, partSize), last: false };
      pending = [all.subarray(partSize)];
      pendingSize -= partSize;
    }
  }
  yield { data: Buffer.concat(pending, pendingSize), last: true };
}
