import { DEFINITION_LIMITS } from '../limits';

export type DecodeResult =
  { ok: true; text: string } | { ok: false; line: number; column: number; message: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Turns raw input into text, refusing oversized and non-UTF-8 input before any YAML parsing happens. */
export function decodeSource(
  source: string | Uint8Array,
  maxBytes = DEFINITION_LIMITS.maxSourceBytes,
): DecodeResult {
  const bytes = typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : source.byteLength;
  if (bytes > maxBytes) {
    return {
      ok: false,
      line: 1,
      column: 1,
      message: `the file is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)}`,
    };
  }
  let text: string;
  if (typeof source === 'string') {
    const bad = LONE_SURROGATE.exec(source);
    if (bad) return notUtf8At(source.slice(0, bad.index), 'an unpaired surrogate character');
    text = source;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(source);
    } catch {
      // The decoder does not say where decoding failed, so find the first bad byte ourselves.
      const at = firstInvalidUtf8(source);
      const prefix = new TextDecoder('utf-8').decode(source.subarray(0, at));
      return notUtf8At(prefix, `byte 0x${source[at].toString(16).padStart(2, '0')}`);
    }
  }
  return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

function notUtf8At(prefix: string, what: string): DecodeResult {
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const line = prefix.split('\n').length;
  const column = prefix.length - lineStart + 1;
  return {
    ok: false,
    line,
    column,
    message: `the file is not valid UTF-8 (${what} at line ${line}, column ${column})`,
  };
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong encodings, surrogates and code points above U+10FFFF are invalid too.
    const c1 = bytes[i + 1];
    if (
      (b === 0xe0 && c1 < 0xa0) ||
      (b === 0xed && c1 > 0x9f) ||
      (b === 0xf0 && c1 < 0x90) ||
      (b === 0xf4 && c1 > 0x8f)
    ) {
      return i;
    }
    i += length;
  }
  return bytes.length;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}
