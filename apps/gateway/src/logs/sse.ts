import { forEachLogLine, StoredLogChunk } from '@kiln/contracts';
import { Response } from 'express';

const KEEP_ALIVE_MS = 15_000;
/**
 * Text written at once is kept below V8's large-object size (128 KiB): a larger string (a log
 * chunk's events are ~2.2 times its text, ~140 KB for 64 KiB) goes to the large-object space and
 * is promoted to the old generation if a scavenge finds it still waiting in the socket's buffer,
 * to be freed only by a full GC. Such strings were most of what grew the gateway's old space while
 * a flood was followed.
 */
const WRITE_CHARS = 32 * 1024;

/** A character JSON.stringify would escape in a line (control characters, quote, backslash, surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const NEEDS_ESCAPE = /["\\\u0000-\u0009\u000b-\u001f\ud800-\udfff]/;
const quoted = (line: string) => `"${line}"`;

/** A Server-Sent Events answer: numbered events, keep-alive comments, and a clean end. */
export class SseWriter {
  private nextId: number;
  private readonly keepAlive: NodeJS.Timeout;

  /** `lastEventId` (from the Last-Event-ID header) makes a reconnecting client skip what it has. */
  constructor(
    private readonly res: Response,
    private readonly lastEventId: number,
  ) {
    this.nextId = 0;
    res.status(200);
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) must pass events through at once instead of buffering them.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  }

  /** A numbered `data:` event; skipped when the client already had it before reconnecting. */
  data(payload: unknown): void {
    this.dataMany([payload]);
  }

  /**
   * Consecutive `data:` events, written in pieces of about WRITE_CHARS rather than one per event:
   * a log chunk holds hundreds of lines, and a write per line (each its own HTTP chunk) was a third
   * of the gateway's CPU while following a chatty step.
   */
  dataMany(payloads: unknown[]): void {
    let text = '';
    for (const payload of payloads) {
      const id = this.nextId++;
      if (id <= this.lastEventId) continue;
      text += `id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`;
      if (text.length >= WRITE_CHARS) {
        this.res.write(text);
        text = '';
      }
    }
    if (text) this.res.write(text);
  }

  /**
   * A log chunk's lines as consecutive events `{"ts":…,"stream":…,"text":…}`, each written out in
   * one template with its id: one per line of a flood, so no object and no JSON text of its own
   * (JSON.stringify per line, then a text per event, were the largest costs of following a chatty
   * step; bench/README.md, log-flood). When no line of a decoded piece of the chunk has a character
   * JSON escapes (one test of the piece), a line goes between quotes as it is.
   */
  dataLines(chunk: Pick<StoredLogChunk, 'text' | 'spans'>): void {
    let quote = quoted;
    let tested: string | undefined;
    let text = '';
    forEachLogLine(chunk, (line, ts, stream, piece) => {
      if (piece !== tested) {
        tested = piece;
        quote = NEEDS_ESCAPE.test(piece) ? JSON.stringify : quoted;
      }
      const id = this.nextId++;
      if (id <= this.lastEventId) return;
      text += `id: ${id}\ndata: {"ts":${ts},"stream":"${stream}","text":${quote(line)}}\n\n`;
      if (text.length >= WRITE_CHARS) {
        this.res.write(text);
        text = '';
      }
    });
    if (text) this.res.write(text);
  }

  /** Waits while the client reads slower than the log is replayed (backpressure). */
  async drained(): Promise<void> {
    if (!this.res.writableNeedDrain || this.res.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done).off('close', done);
        resolve();
      };
      this.res.once('drain', done).once('close', done);
    });
  }

  event(name: string, payload: unknown): void {
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  end(): void {
    clearInterval(this.keepAlive);
    if (!this.res.writableEnded) this.res.end();
  }
}

export function lastEventIdOf(header: string | undefined): number {
  const id = Number(header);
  return Number.isSafeInteger(id) && id >= 0 ? id : -1;
}
