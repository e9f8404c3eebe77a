import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

export type LogStream = 'stdout' | 'stderr' | 'system';
export const LOG_STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system'];

/** Consecutive lines of a chunk's text that came from one stream and were read at one time. */
export class LogSpan {
  /** Milliseconds since the epoch when the executor read the lines. */
  @IsInt() ts!: number;
  @IsIn(LOG_STREAMS) stream!: LogStream;
  @IsInt() @Min(1) lines!: number;
}

/**
 * Consecutive log lines of one step attempt, published on `kiln.logs.<runId>.<stepId>`.
 * `seq` starts at 0 and has no gaps; the chunk with `final: true` is the last one.
 *
 * Version 2 carries the lines as one text (each line ended by `\n`) and where they came from as
 * spans, instead of version 1's object per line: reading, masking, encoding and archiving a
 * chatty step's log then costs per chunk rather than per line (bench/README.md, log-flood).
 */
export class LogChunkEvent {
  @IsIn([2]) version!: 2;
  @IsUUID() runId!: string;
  @IsUUID() stepId!: string;
  @IsString() stepName!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsInt() @Min(0) seq!: number;
  /** The lines in order, each ended by `\n`; empty when the chunk has none. */
  @IsString() text!: string;
  /** The lines of `text` in order, span by span; their `lines` add up to the lines of `text`. */
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => LogSpan)
  @ValidateBy({
    name: 'spansCoverText',
    validator: {
      validate: (spans: unknown, args) => spansCoverText(spans, (args?.object as { text?: unknown }).text),
      defaultMessage: () => "spans must count the lines of text, each ended by '\\n'",
    },
  })
  spans!: LogSpan[];
  @IsBoolean() final!: boolean;
  @IsOptional() @IsInt() exitCode?: number;
}

/**
 * Whether `text` — a string, or its UTF-8 bytes as a reader of `decodeLogChunkBytes` has it — is
 * whole lines (each ended by `\n`) and `spans` count exactly those lines. A newline byte is never
 * part of another character's bytes, so bytes are counted as they are.
 */
export function spansCoverText(spans: unknown, text: unknown): boolean {
  if ((typeof text !== 'string' && !Buffer.isBuffer(text)) || !Array.isArray(spans)) return false;
  let counted = 0;
  for (const span of spans) {
    const lines = (span as { lines?: unknown } | null)?.lines;
    if (typeof lines !== 'number') return false;
    counted += lines;
  }
  return wholeLines(text) === counted;
}

/** How many lines `text` holds, each ended by `\n`; undefined when its last line has none. */
function wholeLines(text: string | Buffer): number | undefined {
  const next =
    typeof text === 'string'
      ? (from: number) => text.indexOf('\n', from)
      : (from: number) => text.indexOf(NEWLINE, from);
  let lines = 0;
  let last = -1;
  for (let at = next(0); at !== -1; at = next(at + 1)) {
    lines++;
    last = at;
  }
  return text.length === 0 || last === text.length - 1 ? lines : undefined;
}

/**
 * A text of bytes is decoded this much at a time, up to a newline: a string over V8's large-object
 * size (128 KiB) is allocated in the old generation, which only a full GC frees. Decoding each
 * 256 KiB chunk whole cost the gateway ~10 % more CPU while it followed a flood, in major GCs
 * (bench/README.md, round eight).
 */
const PIECE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Calls `fn` for each line of a validated chunk in order, without its `\n`, with the decoded
 * `piece` of text the line is a slice of. A text of bytes (`decodeLogChunkBytes`) is decoded a
 * piece of whole lines at a time, each under PIECE_BYTES unless a single line is longer.
 */
export function forEachLogLine(
  chunk: { text: string | Buffer; spans: readonly Pick<LogSpan, 'ts' | 'stream' | 'lines'>[] },
  fn: (text: string, ts: number, stream: LogStream, piece: string) => void,
): void {
  const { spans } = chunk;
  let span = 0;
  let left = spans[0]?.lines ?? 0;
  for (const piece of textPieces(chunk.text)) {
    let start = 0;
    for (let end = piece.indexOf('\n'); end !== -1; end = piece.indexOf('\n', start)) {
      while (left === 0) {
        if (++span >= spans.length) return;
        left = spans[span].lines;
      }
      left--;
      fn(piece.slice(start, end), spans[span].ts, spans[span].stream, piece);
      start = end + 1;
    }
  }
}

function* textPieces(text: string | Buffer): Generator<string> {
  if (typeof text === 'string') {
    yield text;
    return;
  }
  for (let pos = 0; pos < text.length;) {
    let end = text.lastIndexOf(NEWLINE, Math.min(pos + PIECE_BYTES, text.length) - 1);
    if (end < pos) end = text.indexOf(NEWLINE, pos);
    if (end === -1) end = text.length - 1;
    yield text.toString('utf8', pos, end + 1);
    pos = end + 1;
  }
}
