import { ApiPropertyOptional } from './api-docs';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { InvalidInputError } from '@kiln/errors';
import { isUuid } from '@kiln/api-wire';

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface Keyed {
  createdAt: Date;
  id: string | bigint;
}

interface Cursor {
  createdAt: Date;
  id: string;
}

/** Newest first, then by id: a stable order in which (created_at, id) marks a position. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

type After<K> = { createdAt?: { lte: Date }; OR?: ({ createdAt: { lt: Date } } | { id: { lt: K } })[] };

/**
 * Prisma `where` for the rows after the cursor in NEWEST_FIRST order (empty without a cursor):
 * `created_at <= c AND (created_at < c OR id < i)`. The same rows as `created_at < c OR
 * (created_at = c AND id < i)`, but PostgreSQL starts its index scan at `c` instead of reading
 * every newer row first: a page at 90 % of 100 000 runs took 18.7 ms that way, 0.1 ms this way.
 */
export function afterCursor(cursor: string | undefined): After<string> {
  return after(cursor, isUuid, (id) => id);
}

/** The same for tables keyed by a sequence (audit_log). */
export function afterNumericCursor(cursor: string | undefined): After<bigint> {
  return after(cursor, isSequence, BigInt);
}

function after<K>(
  cursor: string | undefined,
  isId: (id: string) => boolean,
  key: (id: string) => K,
): After<K> {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor, isId);
  return { createdAt: { lte: createdAt }, OR: [{ createdAt: { lt: createdAt } }, { id: { lt: key(id) } }] };
}

const DIGITS = /^\d{1,19}$/;
/** PostgreSQL's bigint; a longer sequence number would be a database error, not an empty page. */
const MAX_SEQUENCE = 2n ** 63n - 1n;
const isSequence = (id: string) => DIGITS.test(id) && BigInt(id) <= MAX_SEQUENCE;
/** Rows are stamped by the database clock: a position outside these years was never handed out. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1);

/** Rows fetched with `take: limit + 1` become one page and the cursor of the next. */
export function toPage<R extends Keyed, T>(rows: R[], limit: number, present: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(present),
    next_cursor:
      rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: String(last.id) }) : null,
  };
}

export function pageSize(query: PageQuery): number {
  return query.limit ?? 20;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

export function decodeCursor(text: string, isId: (id: string) => boolean): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    if (
      typeof at === 'string' &&
      typeof id === 'string' &&
      createdAt.getTime() >= EARLIEST &&
      createdAt.getTime() < LATEST &&
      isId(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // Not base64url JSON: reported below like any other malformed cursor.
  }
  throw new InvalidInputError('cursor is not a next_cursor this API returned', [
    { field: 'cursor', message: 'cursor is malformed' },
  ]);
}
