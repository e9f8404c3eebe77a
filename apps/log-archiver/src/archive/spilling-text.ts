import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Text written in pieces, then stored once as an object's body: in memory while it stays within
 * `limitBytes` (a log's times object mostly does: two or three bytes a line), in a temporary file
 * beyond. Every file operation is a trip through libuv's thread pool, and for a short log a
 * temporary file's dozen of them cost the archiver more than the log itself (issue 20).
 */
export class SpillingText {
  private pieces: string[] = [];
  private bytes = 0;
  private file?: { dir: string; path: string; out: WriteStream };

  constructor(private readonly limitBytes: number) {}

  async write(text: string): Promise<void> {
    if (this.file) return writeText(this.file.out, text);
    this.pieces.push(text);
    this.bytes += Buffer.byteLength(text);
    if (this.bytes > this.limitBytes) await this.spill();
  }

  /** The text written, as a body for `ObjectStorage.put`, and its size in bytes; once, after the last write. */
  async body(): Promise<{ body: string | Readable; size: number }> {
    if (!this.file) return { body: this.pieces.join(''), size: this.bytes };
    const { out, path } = this.file;
    out.end();
    await finished(out);
    return { body: createReadStream(path), size: out.bytesWritten };
  }

  /** Removes the temporary file, if the text needed one. */
  async dispose(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.pieces = [];
    if (!file) return;
    file.out.destroy();
    await rm(file.dir, { recursive: true, force: true });
  }

  private async spill(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-archive-'));
    const path = join(dir, 'text');
    const out = createWriteStream(path);
    // Reported by the next write (writeText), not as an unhandled 'error' event.
    out.on('error', () => undefined);
    this.file = { dir, path, out };
    const text = this.pieces.join('');
    this.pieces = [];
    await writeText(out, text);
  }
}

/** Writes `text`, waiting while `out` is full; throws once `out` was destroyed (a failed upload, a full disk). */
async function writeText(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw stoppedError(out);
  if (out.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    out.once('drain', done).once('close', done).once('error', done);
  });
  if (out.destroyed) throw stoppedError(out);
}

function stoppedError(out: Writable): Error {
  return out.errored ?? new Error('the text could not be written');
}
