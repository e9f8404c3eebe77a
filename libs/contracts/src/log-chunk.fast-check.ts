import { LogChunkEvent, LogSpan, spansCoverText } from './events/log-chunk.event';
import { isInt, isUuid } from './fast-check-rules';

const STREAMS = new Set(['stdout', 'stderr', 'system']);

/**
 * A log chunk that certainly passes LogChunkEvent's class-validator rules, as its class; undefined
 * when it may not (the caller then runs class-validator, which names every problem). Log chunks
 * are the one high-volume payload: class-validator on each nested object made validation the
 * largest cost of following a chatty step live (gateway) and of publishing its log (executor).
 * Stricter than the decorators in corner cases (null exitCode, String objects), never looser.
 */
export function checkedLogChunk(data: object): LogChunkEvent | undefined {
  const chunk = data as Partial<Record<keyof LogChunkEvent, unknown>>;
  const valid =
    chunk.version === 2 &&
    isUuid(chunk.runId) &&
    isUuid(chunk.stepId) &&
    typeof chunk.stepName === 'string' &&
    isInt(chunk.attempt, 1) &&
    isInt(chunk.seq, 0) &&
    typeof chunk.final === 'boolean' &&
    (chunk.exitCode === undefined || isInt(chunk.exitCode, -Infinity)) &&
    Array.isArray(chunk.spans) &&
    chunk.spans.every(isSpan) &&
    spansCoverText(chunk.spans, chunk.text);
  if (!valid) return undefined;
  const spans = (chunk.spans as object[]).map((span) => Object.assign(new LogSpan(), span));
  return Object.assign(new LogChunkEvent(), data, { spans });
}

function isSpan(span: unknown): boolean {
  if (typeof span !== 'object' || span === null || Array.isArray(span)) return false;
  const { ts, stream, lines } = span as Record<string, unknown>;
  return isInt(ts, -Infinity) && typeof stream === 'string' && STREAMS.has(stream) && isInt(lines, 1);
}
