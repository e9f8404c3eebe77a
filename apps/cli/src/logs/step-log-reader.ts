import { ApiClient } from '../api/api-client';
import { SseParser } from './sse-parser';

export interface LogLine {
  ts?: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

export interface ReadResult {
  /** The log is complete: the live stream sent `end`, or a text snapshot was read. */
  complete: boolean;
  exitCode?: number | null;
  /** Id of the last event received, to resume a dropped live stream without repeats. */
  lastEventId?: string;
}

export interface ReadOptions {
  /** Live Server-Sent Events until the step ends; otherwise the text there is now. */
  live: boolean;
  /** Resume a live stream after this event (the server skips what the client has). */
  lastEventId?: string;
  signal?: AbortSignal;
}

/**
 * Reads one step's log from the gateway: Server-Sent Events while the step runs (late joiners get
 * the log from its first line, then `event: end`), or text: the archived log or the lines so far.
 */
export async function readStepLog(
  client: ApiClient,
  path: string,
  onLine: (line: LogLine) => void,
  options: ReadOptions,
): Promise<ReadResult> {
  const res = await client.stream(path, options.live ? 'text/event-stream' : 'text/plain', {
    signal: options.signal,
    headers: options.lastEventId ? { 'last-event-id': options.lastEventId } : undefined,
  });
  if (!res.body) return { complete: true };
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await readPlainText(res.body, (text) => onLine({ stream: 'stdout', text }));
    return { complete: true };
  }
  return readEvents(res.body, onLine, options.lastEventId);
}

async function readPlainText(
  body: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
): Promise<void> {
  const splitter = new LineSplitter(onText);
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    splitter.push(decoder.decode(chunk, { stream: true }));
  splitter.push(decoder.decode());
  splitter.flush();
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  onLine: (line: LogLine) => void,
  resumeAfter: string | undefined,
): Promise<ReadResult> {
  const result: ReadResult = { complete: false, lastEventId: resumeAfter };
  const parser = new SseParser((event) => {
    if (event.event === 'end') {
      result.complete = true;
      result.exitCode = numberOrNull(parseJson(event.data)?.exit_code);
      return;
    }
    if (event.event === 'attempt') {
      // The step is being run again and its log starts over.
      const attempt = parseJson(event.data)?.attempt;
      onLine({ stream: 'system', text: `── attempt ${String(attempt ?? '?')} ──` });
      return;
    }
    if (event.event && event.event !== 'message') return;
    if (event.id !== undefined) result.lastEventId = event.id;
    const data = parseJson(event.data);
    if (!data || typeof data.text !== 'string') return;
    const stream = data.stream === 'stderr' || data.stream === 'system' ? data.stream : 'stdout';
    const ts = numberOrNull(data.ts) ?? undefined;
    for (const text of splitLines(data.text)) onLine({ ts, stream, text });
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (result.complete) break;
    }
  } catch {
    // The connection broke mid-stream (gateway restart, proxy timeout): the caller resumes it
    // from lastEventId, and gives up if it keeps breaking without progress.
    result.complete = false;
  }
  return result;
}

/** One event's text as lines: a single trailing newline ends the last line rather than adding one. */
export function splitLines(text: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** Reassembles lines from arbitrary text chunks. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  flush(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    // A malformed or foreign event carries nothing to show.
    return undefined;
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
