import { createParser } from 'eventsource-parser';
import { ApiClient } from './api-client';

export interface LogLine {
  /** When the executor read the line (ms since the epoch); null when the log kept no time for it. */
  ts: number | null;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

export interface LogStreamHandlers {
  /** Lines in arrival order, batched per network read. */
  lines(lines: LogLine[]): void;
  /** The step was run again: its log starts over. */
  attempt(attempt: number): void;
  end(exitCode: number | null): void;
}

const MAX_RECONNECTS = 6;

/**
 * Follows a running step's log over Server-Sent Events (fetch, because EventSource cannot send the
 * token header): the server replays from the first line, then sends live lines and `event: end`.
 * A dropped connection is resumed with Last-Event-ID, so no line is shown twice.
 */
export async function followStepLog(
  client: ApiClient,
  path: string,
  handlers: LogStreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    const before = lastEventId;
    let ended = false;
    try {
      const res = await client.fetch(path, {
        headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        signal,
      });
      const outcome = await readEvents(res, handlers, signal);
      lastEventId = outcome.lastEventId ?? lastEventId;
      ended = outcome.ended;
    } catch (error) {
      if (signal.aborted) return;
      if ((error as { status?: number }).status && (error as { status: number }).status < 500) throw error;
    }
    if (ended) return;
    failures = lastEventId !== before ? 0 : failures + 1;
    if (failures > MAX_RECONNECTS) throw new Error('the live log keeps breaking off; reload to try again');
    await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** failures, 5000)));
  }
}

async function readEvents(
  res: Response,
  handlers: LogStreamHandlers,
  signal: AbortSignal,
): Promise<{ ended: boolean; lastEventId?: string }> {
  if (!res.body) return { ended: true };
  let ended = false;
  let lastEventId: string | undefined;
  let batch: LogLine[] = [];
  const parser = createParser({
    onEvent(event) {
      if (event.event === 'end') {
        ended = true;
        handlers.lines(batch);
        batch = [];
        handlers.end(numberOrNull(parse(event.data)?.exit_code));
      } else if (event.event === 'attempt') {
        handlers.lines(batch);
        batch = [];
        handlers.attempt(numberOrNull(parse(event.data)?.attempt) ?? 0);
      } else if (!event.event || event.event === 'message') {
        if (event.id !== undefined) lastEventId = event.id;
        const data = parse(event.data);
        if (data && typeof data.text === 'string') {
          const stream = data.stream === 'stderr' || data.stream === 'system' ? data.stream : 'stdout';
          const ts = numberOrNull(data.ts);
          batch.push({ ts, stream, text: data.text.replace(/\r?\n$/, '') });
        }
      }
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!ended && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (batch.length) handlers.lines(batch);
      batch = [];
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return { ended, lastEventId };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    // A malformed event carries nothing to show.
    return undefined;
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * A finished step's log with its lines' times (`?timestamps=true`: `<ISO time> <line>`, `- <line>`
 * without a time), read only until the lines hold `limitBytes` of log text; `totalBytes` is the
 * whole plain log's size (`X-Log-Bytes`), or what was read when the server did not say.
 */
export async function readTimedLog(
  client: ApiClient,
  path: string,
  limitBytes: number,
  signal: AbortSignal,
): Promise<{ lines: LogLine[]; totalBytes: number }> {
  const res = await client.fetch(`${path}?timestamps=true`, { headers: { accept: 'text/plain' }, signal });
  const declared = Number(res.headers.get('x-log-bytes') ?? NaN);
  const lines: LogLine[] = [];
  let bytes = 0;
  let carry = '';
  const take = (row: string) => {
    const line = timedLine(row);
    bytes += line.text.length + 1;
    lines.push(line);
  };
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  try {
    while (reader && bytes <= limitBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const rows = (carry + decoder.decode(value, { stream: true })).split('\n');
      carry = rows.pop()!;
      for (const row of rows) take(row);
    }
    if (carry && bytes <= limitBytes) take(carry + decoder.decode());
  } finally {
    reader?.cancel().catch(() => undefined);
  }
  return { lines, totalBytes: Number.isFinite(declared) ? declared : bytes };
}

function timedLine(row: string): LogLine {
  const space = row.indexOf(' ');
  const time = space < 0 ? '-' : row.slice(0, space);
  const ts = time === '-' ? null : Date.parse(time);
  return { ts: Number.isNaN(ts) ? null : ts, stream: 'stdout', text: space < 0 ? row : row.slice(space + 1) };
}
