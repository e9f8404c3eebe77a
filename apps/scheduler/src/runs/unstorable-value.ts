import { Prisma } from '@kiln/db';
import { DatabaseError } from 'pg';

/** Prisma's own refusals of a value (too long, wrong type, out of range): retrying changes nothing. */
const VALUE_ERRORS = new Set(['P2000', 'P2006', 'P2007', 'P2019', 'P2020', 'P2023', 'P2033']);

/**
 * Whether the database refused a value rather than failed: a NUL byte in text (SQLSTATE 22021), a
 * `\u0000` in JSON (22P05), a number out of range — every SQLSTATE of class 22, "data exception".
 * Raised through Prisma or by a statement of its own on the pg pool (run creation).
 */
export function isUnstorableValue(error: unknown): boolean {
  if (error instanceof DatabaseError) return typeof error.code === 'string' && error.code.startsWith('22');
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (VALUE_ERRORS.has(error.code)) return true;
  const cause = (error.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined)?.cause;
  return typeof cause?.originalCode === 'string' && cause.originalCode.startsWith('22');
}

const CONTROL = /\p{Cc}/gu;

/** The request's text fields without the control characters a database or a terminal refuses. */
export function storableText<T extends string | null | undefined>(value: T): T {
  return (typeof value === 'string' ? value.replace(CONTROL, '') : value) as T;
}
