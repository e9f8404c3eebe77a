/** What a cache key's templates are rendered from, at the start of the step. */
export interface CacheKeyContext {
  /** sha256 (hex) of a workspace file, or undefined when it does not exist. */
  checksum(file: string): string | undefined;
  branch: string;
  arch: string;
  /** Seconds since 1970. */
  epoch: number;
}

const TEMPLATE = /\{\{\s*(.*?)\s*\}\}/g;
const CHECKSUM = /^checksum\s+"([^"]+)"$/;
/** Rendered keys become object names: keep them to characters that need no escaping anywhere. */
const UNSAFE = /[^A-Za-z0-9._-]+/g;
export const CACHE_KEY_MAX_LENGTH = 200;

/** Undefined when every `{{ }}` of the key is a known template, else why not. */
export function cacheKeyProblem(key: string): string | undefined {
  if (key.length > CACHE_KEY_MAX_LENGTH) return `is longer than ${CACHE_KEY_MAX_LENGTH} characters`;
  for (const [, inner] of key.matchAll(TEMPLATE)) {
    if (inner === 'branch' || inner === 'arch' || inner === 'epoch' || CHECKSUM.test(inner)) continue;
    return `"{{ ${inner} }}" is not a cache key template; use {{ checksum "file" }}, {{ branch }}, {{ arch }} or {{ epoch }}`;
  }
  const rest = key.replace(TEMPLATE, '');
  if (rest.includes('{{') || rest.includes('}}')) return 'has an unclosed "{{"';
  return undefined;
}

/** The key with its templates replaced; a missing checksum file renders as `missing`. */
export function renderCacheKey(key: string, context: CacheKeyContext): string {
  const rendered = key.replace(TEMPLATE, (_, inner: string) => {
    const checksum = CHECKSUM.exec(inner);
    if (checksum) return context.checksum(checksum[1]) ?? 'missing';
    if (inner === 'branch') return context.branch;
    if (inner === 'arch') return context.arch;
    return String(context.epoch);
  });
  return rendered.replace(UNSAFE, '-').slice(0, CACHE_KEY_MAX_LENGTH);
}
