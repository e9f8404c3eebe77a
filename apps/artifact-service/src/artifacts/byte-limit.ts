import { Transform, TransformCallback } from 'node:stream';
import { uploadTooLarge } from './upload-errors';

/** Passes bytes through until more than `maxBytes` have come, then fails the stream. */
export class ByteLimit extends Transform {
  private seen = 0;
  exceeded = false;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      this.exceeded = true;
      done(uploadTooLarge('the body', this.maxBytes));
      return;
    }
    done(null, chunk);
  }
}
