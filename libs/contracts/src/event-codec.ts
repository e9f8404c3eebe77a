import { EventMap, EventSubject } from './event-map';
import { LogChunkEvent } from './events/log-chunk.event';
import { Subjects } from './subjects';
import { InvalidEventError, validateEvent } from './validate-event';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/** Whether a subject (suffix tokens allowed: `kiln.logs.<run>.<step>`) carries log chunks. */
export function isLogSubject(subject: string): boolean {
  return subject === Subjects.Logs || subject.startsWith(`${Subjects.Logs}.`);
}

/**
 * A log chunk as its writer publishes it: `text` may still be the UTF-8 bytes read from a step's
 * pipes, in the pieces they were read in. A chatty step's text then goes from the pipe to the
 * wire in one copy, never decoded into a string and encoded back, nor joined first: each large
 * buffer allocated and copied cost more than the rest of the way (bench/README.md, log-flood).
 * Readers always get a string.
 */
export type OutgoingLogChunk = Omit<LogChunkEvent, 'text'> & { text: string | readonly Uint8Array[] };

/** What a subject's publisher hands over: its event, for log chunks an OutgoingLogChunk. */
export type OutgoingEvent<S extends EventSubject> = S extends typeof Subjects.Logs ? OutgoingLogChunk : EventMap[S];

/**
 * Checks an event before it is published, as validateEvent; a log chunk's bytes are checked as
 * the text they stand for (whole lines that its spans count), without decoding them.
 */
export function validateOutgoingEvent<S extends EventSubject>(subject: S, payload: OutgoingEvent<S>): void {
  const text = (payload as { text?: unknown }).text;
  if (subject !== Subjects.Logs || !Array.isArray(text)) {
    validateEvent(subject, payload);
    return;
  }
  // Only the line ends matter to the rules (spansCoverText): the same lines as empty ones.
  let lines = 0;
  let last: number | undefined;
  for (const piece of text) {
    if (!(piece instanceof Uint8Array)) throw new InvalidEventError(subject, ['text: pieces must be bytes']);
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    lines += newlines(bytes);
    if (bytes.length > 0) last = bytes[bytes.length - 1];
  }
  const ended = last === undefined || last === NEWLINE;
  validateEvent(subject, { ...payload, text: `${'\n'.repeat(lines)}${ended ? '' : '-'}` });
}

/** An event's bytes on the wire: JSON, except log chunks (see encodeLogChunk). */
export function encodeEvent(subject: string, payload: object): Uint8Array {
  return isLogSubject(subject)
    ? encodeLogChunk(payload as OutgoingLogChunk)
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
export function encodeLogChunk(chunk: OutgoingLogChunk): Uint8Array {
  const { text, ...fields } = chunk;
  const head = `${JSON.stringify(fields)}\n`;
  const headBytes = Buffer.byteLength(head);
  const textBytes = typeof text === 'string' ? Buffer.byteLength(text) : byteLength(text);
  const data = Buffer.allocUnsafe(headBytes + textBytes);
  data.write(head, 0, headBytes, 'utf8');
  if (typeof text !== 'string') {
    let at = headBytes;
    for (const piece of text) {
      data.set(piece, at);
      at += piece.byteLength;
    }
    return data;
  }
  // An ASCII text has a byte per character: latin1 copies it, UTF-8 encoding would scan it.
  data.write(text, headBytes, textBytes, textBytes === text.length ? 'latin1' : 'utf8');
  return data;
}

/** The chunk encodeLogChunk wrote, unvalidated; throws when its first line is not a JSON object. */
export function decodeLogChunk(data: Uint8Array): Record<string, unknown> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = bytes.indexOf(NEWLINE);
  if (end === -1) throw new SyntaxError('a log chunk needs a line of JSON before its text');
  const fields: unknown = JSON.parse(bytes.toString('utf8', 0, end));
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new SyntaxError('the first line of a log chunk is not a JSON object');
  }
  return { ...fields, text: bytes.toString('utf8', end + 1) };
}

function newlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

function byteLength(pieces: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const piece of pieces) bytes += piece.byteLength;
  return bytes;
}
