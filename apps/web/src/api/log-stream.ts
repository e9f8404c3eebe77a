import { createParser } from 'eventsource-parser';
import { ApiClient } from './api-client';

export interface LogLine {
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
          batch.push({ stream, text: data.text.replace(/\r?\n$/, '') });
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
