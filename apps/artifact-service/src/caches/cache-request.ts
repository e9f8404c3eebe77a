import { CACHE_KEY_MAX_LENGTH } from '@kiln/definition';
import { InvalidInputError } from '@kiln/errors';
import { isUuid } from '@kiln/api-wire';

/** Rendered keys (renderCacheKey) keep to these characters, which need no escaping anywhere. */
const KEY = /^[A-Za-z0-9._-]+$/;
const MAX_RESTORE_KEYS = 20;

export interface CacheAddress {
  projectId: string;
  key: string;
}

export interface CacheLookup extends CacheAddress {
  /** Prefixes tried in order when `key` has no entry. */
  restoreKeys: string[];
}

/** `PUT /internal/caches/:project/:key`: the project a UUID, the key a rendered cache key. */
export function parseCacheAddress(projectId: string, key: string): CacheAddress {
  const problems = addressProblems(projectId, key);
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { problems });
  return { projectId: projectId.toLowerCase(), key };
}

/** `GET /internal/caches/:project/:key?restore=<prefix>&restore=<prefix>`. */
export function parseCacheLookup(projectId: string, key: string, restore: unknown): CacheLookup {
  const problems = addressProblems(projectId, key);
  const restoreKeys = restore === undefined ? [] : Array.isArray(restore) ? restore : [restore];
  if (restoreKeys.length > MAX_RESTORE_KEYS) problems.push(`at most ${MAX_RESTORE_KEYS} restore keys`);
  for (const prefix of restoreKeys) {
    if (typeof prefix !== 'string' || !isKey(prefix))
      problems.push(`restore key "${String(prefix)}" ${KEY_RULE}`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { problems });
  return { projectId: projectId.toLowerCase(), key, restoreKeys: restoreKeys as string[] };
}

const KEY_RULE = `must be 1 to ${CACHE_KEY_MAX_LENGTH} letters, digits, ".", "_" or "-"`;

function isKey(value: string): boolean {
  return value.length <= CACHE_KEY_MAX_LENGTH && KEY.test(value);
}

function addressProblems(projectId: string, key: string): string[] {
  const problems: string[] = [];
  if (!isUuid(projectId)) problems.push(`project "${projectId}" is not a UUID`);
  if (!isKey(key)) problems.push(`cache key "${key}" ${KEY_RULE}`);
  return problems;
}
