import picomatch from 'picomatch';

const MAX_CACHED = 500;
const MAX_PATTERN_LENGTH = 255;
const cache = new Map<string, (value: string) => boolean>();

/**
 * Branch and tag filters: `*` matches within one `/`-separated segment, `**` (a whole segment)
 * across segments, anything else literally. picomatch also gives `?`, `[abc]` and `{a,b}`.
 * Dot-files are not special for ref names, hence `dot: true`.
 */
export function globMatch(pattern: string, value: string): boolean {
  return compile(pattern)(value);
}

/** Undefined when the pattern is usable, else the reason it is not. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'must not be empty';
  // Ref names are at most a few hundred bytes; long patterns only make matching expensive.
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    compile(pattern);
    return undefined;
  } catch (error) {
    return `"${pattern}" is not a valid pattern: ${(error as Error).message}`;
  }
}

function compile(pattern: string): (value: string) => boolean {
  let matcher = cache.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { dot: true });
    // Patterns come from many definitions; a bounded cache keeps repeated webhooks cheap without growing forever.
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, matcher);
  }
  return matcher;
}
