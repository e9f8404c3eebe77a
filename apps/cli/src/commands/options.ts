import { InvalidArgumentError } from 'commander';

export const PROJECT_FLAGS = '-p, --project <project>';
export const PROJECT_HELP = 'project name or id (default: $KILN_PROJECT)';
export const JSON_HELP = 'print JSON ({items, next_cursor} for listings) instead of a table';

/** `--project`, else `$KILN_PROJECT`. */
export function projectFrom(options: { project?: string }, env: NodeJS.ProcessEnv): string | undefined {
  return options.project ?? (env.KILN_PROJECT?.trim() || undefined);
}

/** Commander argument parser for an integer within bounds (reported as a usage error). */
export function intBetween(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Commander argument parser for one of a fixed set of words. */
export function oneOf(words: readonly string[]) {
  return (value: string): string => {
    if (!words.includes(value)) throw new InvalidArgumentError(`expected one of ${words.join(', ')}`);
    return value;
  };
}

/** Commander argument parser for a date or date-time, passed on as ISO 8601. */
export function isoDate(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new InvalidArgumentError('expected a date such as 2025-01-31 or 2025-01-31T12:00:00Z');
  return new Date(time).toISOString();
}

/** `NAME=value` (the value may be empty or hold "="); the server checks the name. */
export function variable(value: string): string {
  if (value.indexOf('=') < 1) throw new InvalidArgumentError('expected NAME=value');
  return value;
}

/** A repeatable option whose values are each parsed and checked by `parse`. */
export function collect(parse: (value: string) => string) {
  return (value: string, previous: string[] = []): string[] => [...previous, parse(value)];
}
