import { LogChunkEvent } from './events/log-chunk.event';
import { Subjects } from './subjects';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/** Whether a subject (suffix tokens allowed: `kiln.logs.<run>.<step>`) carries log chunks. */
export function isLogSubject(subject: string): boolean {
  return subject === Subjects.Logs || subject.startsWith(`${Subjects.Logs}.`);
}

/** An event's bytes on the wire: JSON, except log chunks (see encodeLogChunk). */
export function encodeEvent(subject: string, payload: object): Uint8Array {
  return isLogSubject(subject)
    ? encodeLogChunk(payload as LogChunkEvent)
    : encoder.encode(JSON.stringify(payload));
}

/** The payload of an event's bytes, unvalidated; throws when they cannot be decoded. */
export function decodeEvent(subject: string, data: Uint8Array): unknown {
  return isLogSubject(subject) ? decodeLogChunk(data) : JSON.parse(decoder.decode(data));
}

/**
 * A log chunk on the wire: its fields but `text` as one line of JSON, then `text` as it is.
 * JSON-escaping, encoding and parsing a chatty step's text cost more than everything else on its
 * way to the clients (bench/README.md, log-flood); this way the text is copied, never escaped.
 */
export function encodeLogChunk(chunk: LogChunkEvent): Uint8Array {
  const { text, ...fields } = chunk;
  const head = `${JSON.stringify(fields)}\n`;
  const headBytes = Buffer.byteLength(head);
  const textBytes = Buffer.byteLength(text);
  const data = Buffer.allocUnsafe(headBytes + textBytes);
  data.write(head, 0, headBytes, 'utf8');
  // An ASCII text has a byte per character: latin1 copies it, UTF-8 encoding would scan it.
  data.write(text, headBytes, textBytes, textBytes === text.length ? 'latin1' : 'utf8');
  return data;
}

/** The chunk encodeLogChunk wrote, unvalidated; throws when its first line is not a JSON object. */
export function decodeLogChunk(data: Uint8Array): Record<string, unknown> {
  const chunk = decodeLogChunkBytes(data);
  return { ...chunk, text: chunk.text.toString('utf8') };
}

/**
 * decodeLogChunk with `text` left as its bytes (a view of `data`, not a copy), for a reader that
 * only passes the text on: decoding it to a string and encoding it again was a quarter of the log
 * archiver's CPU on a long log (bench/README.md, round seven).
 */
export function decodeLogChunkBytes(data: Uint8Array): Record<string, unknown> & { text: Buffer } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = bytes.indexOf(NEWLINE);
  if (end === -1) throw new SyntaxError('a log chunk needs a line of JSON before its text');
  const fields: unknown = JSON.parse(bytes.toString('utf8', 0, end));
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new SyntaxError('the first line of a log chunk is not a JSON object');
  }
  return { ...fields, text: bytes.subarray(end + 1) };
}
