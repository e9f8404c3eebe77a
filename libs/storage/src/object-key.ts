import { InvalidObjectKeyError } from './storage.errors';

/** S3's limit; enforced on both drivers so a key valid in development is valid in production. */
export const MAX_KEY_BYTES = 1024;
/** Most filesystems' limit for one path segment, likewise enforced on both drivers. */
export const MAX_SEGMENT_BYTES = 255;
/** The fs driver stages uploads here; reserved on both drivers for the same reason. */
export const RESERVED_SEGMENT = '.kiln-uploads';

// Control characters break logs and HTTP headers; a backslash is a separator on Windows.
const isForbiddenCharacter = (c: string) => c.charCodeAt(0) < 0x20 || c === '\u007f' || c === '\\';
// With the u flag only unpaired surrogates match: they have no UTF-8 encoding.
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws InvalidObjectKeyError unless `key` is a relative, normalised `a/b/c` path. */
export function assertObjectKey(key: string): void {
  checkCommon(key, false);
}

/** Like a key, but may be empty (everything) and may end with `/` or in the middle of a segment. */
export function assertObjectPrefix(prefix: string): void {
  if (prefix === '') return;
  checkCommon(prefix, true);
}

function checkCommon(value: string, isPrefix: boolean): void {
  const fail = (reason: string): never => {
    throw new InvalidObjectKeyError(String(value), reason);
  };
  if (typeof value !== 'string') fail('not a string');
  if (value === '') fail('empty');
  if (Buffer.byteLength(value) > MAX_KEY_BYTES) fail(`longer than ${MAX_KEY_BYTES} bytes`);
  if ([...value].some(isForbiddenCharacter)) fail('contains a control character or a backslash');
  if (LONE_SURROGATE.test(value)) fail('not valid Unicode');
  if (value.startsWith('/')) fail('absolute');
  const segments = value.split('/');
  // A prefix may end with '/' ("everything in this folder") or in the middle of a segment.
  const whole = isPrefix ? segments.slice(0, -1) : segments;
  for (const segment of whole) {
    if (segment === '') fail('has an empty segment');
    if (segment === '.' || segment === '..') fail(`has a "${segment}" segment`);
  }
  const last = segments[segments.length - 1];
  if (isPrefix && (last === '.' || last === '..')) fail(`has a "${last}" segment`);
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    fail(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segments[0] === RESERVED_SEGMENT) fail(`"${RESERVED_SEGMENT}" is reserved`);
}
