import { StoredLogChunk } from '@kiln/contracts';
import { LogTimesEncoder } from '@kiln/storage';

/** Chunks `from`..`to` (inclusive) of the attempt never arrived. */
export interface MissingRange {
  from: number;
  to: number;
}

export interface AssembledLog {
  chunks: number;
  lines: number;
  missing: MissingRange[];
}

export function missingMarker({ from, to }: MissingRange): Buffer {
  return Buffer.from(`[log incomplete: chunks ${from}..${to} missing]\n`);
}

/**
 * Puts one step attempt's chunks back in `seq` order as UTF-8 text, one `\n`-terminated line per log
 * line, and the lines' times as the entries of the log's times object (`LogTimesEncoder`).
 * Chunks of other attempts and repeated `seq`s are dropped; a chunk that arrives ahead of a
 * missing one waits in memory (in the normal, in-order case nothing waits).
 */
export class LogAssembler {
  private nextSeq = 0;
  private readonly waiting = new Map<number, StoredLogChunk>();
  private finalSeq?: number;
  private chunks = 0;
  private lines = 0;
  private readonly times = new LogTimesEncoder();

  /**
   * @param expectedChunks `logChunks` of step.finished; unknown when the scheduler ended the step
   *   for a lost executor, in which case a `final` chunk, if any arrived, tells the count.
   */
  constructor(
    private readonly attempt: number,
    private readonly expectedChunks: number | undefined,
    private readonly write: (text: Buffer, times: string) => Promise<void>,
  ) {}

  /** Chunks the log should have, when known. */
  get expectedTotal(): number | undefined {
    return this.expectedChunks ?? (this.finalSeq === undefined ? undefined : this.finalSeq + 1);
  }

  get complete(): boolean {
    const total = this.expectedTotal;
    return total !== undefined && this.nextSeq >= total;
  }

  async add(chunk: StoredLogChunk): Promise<void> {
    if (chunk.attempt !== this.attempt) return;
    if (chunk.seq < this.nextSeq || this.waiting.has(chunk.seq)) return;
    if (this.expectedChunks !== undefined && chunk.seq >= this.expectedChunks) return;
    if (chunk.final) this.finalSeq = chunk.seq;
    this.waiting.set(chunk.seq, chunk);
    for (let next = this.waiting.get(this.nextSeq); next; next = this.waiting.get(this.nextSeq)) {
      this.waiting.delete(this.nextSeq);
      await this.emit(next);
      this.nextSeq++;
    }
  }

  /** The chunks not seen so far, as ranges (a trailing gap only when the expected count is known). */
  missing(): MissingRange[] {
    const seqs = [...this.waiting.keys()].sort((a, b) => a - b);
    const ranges: MissingRange[] = [];
    let expected = this.nextSeq;
    for (const seq of seqs) {
      if (seq > expected) ranges.push({ from: expected, to: seq - 1 });
      expected = seq + 1;
    }
    const total = this.expectedTotal;
    if (total !== undefined && expected < total) ranges.push({ from: expected, to: total - 1 });
    return ranges;
  }

  /** Writes what is still waiting, with a marker line where chunks are missing. */
  async finish(): Promise<AssembledLog> {
    const missing = this.missing();
    const seqs = [...this.waiting.keys()].sort((a, b) => a - b);
    let gap = 0;
    for (const seq of seqs) {
      while (gap < missing.length && missing[gap].to < seq) await this.marker(missing[gap++]);
      await this.emit(this.waiting.get(seq)!);
    }
    while (gap < missing.length) await this.marker(missing[gap++]);
    this.waiting.clear();
    return { chunks: this.chunks, lines: this.lines, missing };
  }

  private async emit(chunk: StoredLogChunk): Promise<void> {
    this.chunks++;
    if (chunk.text.length === 0) return;
    let times = '';
    for (const span of chunk.spans) {
      this.lines += span.lines;
      times += this.times.encode(span.ts, span.lines);
    }
    await this.write(chunk.text, times);
  }

  private marker(range: MissingRange): Promise<void> {
    return this.write(missingMarker(range), this.times.encode(null));
  }
}
