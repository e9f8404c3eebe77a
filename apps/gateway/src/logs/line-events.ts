import { forEachLogLine, LogChunkEvent } from '@kiln/contracts';

/** A character JSON.stringify would escape in a line (control characters, quote, backslash, surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const NEEDS_ESCAPE = /["\\\u0000-\u0009\u000b-\u001f\ud800-\udfff]/;

/**
 * The `data` of each line's SSE event, `{"ts":…,"stream":…,"text":…}`, written out directly: one
 * per line of a flood. When no line of the chunk has a character JSON escapes (one test of the
 * whole text), a line goes between quotes as it is: JSON.stringify of each line was the largest
 * cost of following a chatty step (bench/README.md, log-flood).
 */
export function lineEvents(chunk: LogChunkEvent): string[] {
  const events: string[] = [];
  const quote = NEEDS_ESCAPE.test(chunk.text) ? JSON.stringify : (text: string) => `"${text}"`;
  forEachLogLine(chunk, (text, ts, stream) => events.push(`{"ts":${ts},"stream":"${stream}","text":${quote(text)}}`));
  return events;
}
