import { OutputLine } from '../backend';

/** Unread lines above this make the writer wait, so a slow reader slows the log stream, not memory. */
const HIGH_WATER_CHARS = 1024 * 1024;

/** The lines of one step for its single reader (`tailLogs`), with backpressure on the writer. */
export class LineQueue implements AsyncIterable<OutputLine> {
  private readonly queue: OutputLine[] = [];
  private queuedChars = 0;
  private closed = false;
  private wakeReader?: () => void;
  private wakeWriter?: () => void;

  /** Adds a line; resolves once there is room for more. */
  async push(line: OutputLine): Promise<void> {
    if (this.closed) return;
    this.queue.push(line);
    this.queuedChars += line.text.length;
    this.notifyReader();
    while (this.queuedChars > HIGH_WATER_CHARS && !this.closed) {
      await new Promise<void>((resolve) => (this.wakeWriter = resolve));
    }
  }

  /** No more lines will come; the reader ends after the queued ones. */
  close(): void {
    this.closed = true;
    this.notifyReader();
    this.notifyWriter();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OutputLine> {
    for (;;) {
      const line = this.queue.shift();
      if (line) {
        this.queuedChars -= line.text.length;
        if (this.queuedChars <= HIGH_WATER_CHARS / 2) this.notifyWriter();
        yield line;
      } else if (this.closed) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
      }
    }
  }

  private notifyReader(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private notifyWriter(): void {
    const wake = this.wakeWriter;
    this.wakeWriter = undefined;
    wake?.();
  }
}
