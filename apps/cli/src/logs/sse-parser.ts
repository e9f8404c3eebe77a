/** One Server-Sent Event; `event` is undefined for the default ("message") type. */
export interface ServerSentEvent {
  event?: string;
  data: string;
  id?: string;
}

/**
 * Incremental Server-Sent Events parser (the WHATWG event-stream format): feed it text as it
 * arrives, in chunks of any size, and it calls `onEvent` for every complete event.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more text.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }

  private dispatch(): void {
    if (this.data.length > 0)
      this.onEvent({ event: this.event || undefined, data: this.data.join('\n'), id: this.id });
    this.data = [];
    this.event = undefined;
  }
}
