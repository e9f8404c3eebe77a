import { LogChunkEvent, LogLine } from './events/log-chunk.event';
import { isInt, isUuid } from './fast-check-rules';

const STREAMS = new Set(['stdout', 'stderr', 'system']);

/**
 * A log chunk that certainly passes LogChunkEvent's class-validator rules, as its class; undefined
 * when it may not (the caller then runs class-validator, which names every problem). Log chunks
 * are the one high-volume payload: class-validator on each nested line made validation the
 * largest cost of following a chatty step live (gateway) and of publishing its log (executor).
 * Stricter than the decorators in corner cases (null exitCode, String objects), never looser.
 */
export function checkedLogChunk(data: object): LogChunkEvent | undefined {
  const chunk = data as Partial<Record<keyof LogChunkEvent, unknown>>;
  const valid =
    chunk.version === 1 &&
    isUuid(chunk.runId) &&
    isUuid(chunk.stepId) &&
    typeof chunk.stepName === 'string' &&
    isInt(chunk.attempt, 1) &&
    isInt(chunk.seq, 0) &&
    typeof chunk.final === 'boolean' &&
    (chunk.exitCode === undefined || isInt(chunk.exitCode, -Infinity)) &&
    Array.isArray(chunk.lines) &&
    chunk.lines.every(isLine);
  if (!valid) return undefined;
  const lines = (chunk.lines as object[]).map((line) => Object.assign(new LogLine(), line));
  return Object.assign(new LogChunkEvent(), data, { lines });
}

function isLine(line: unknown): boolean {
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return false;
  const { ts, stream, text } = line as Record<string, unknown>;
  return (
    isInt(ts, -Infinity) && typeof stream === 'string' && STREAMS.has(stream) && typeof text === 'string'
  );
}
