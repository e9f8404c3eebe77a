import { createHash } from 'node:crypto';

/**
 * Where each kind of object lives (SPEC §8), in one place because the service that writes an
 * object and the one that reads it are different processes.
 */

/**
 * The archived log of one step attempt: `logs/pipelines/<run>/<step>.log` for the first attempt
 * (every step has one) and `logs/pipelines/<run>/attempts/<step>/<n>.log` for a retry's, so no
 * attempt overwrites another. A folder, not a suffix: step names may contain "." and "-", and a
 * file and a folder of one name cannot coexist on the fs store.
 */
export function stepLogKey(runId: string, stepName: string, attempt: number): string {
  if (attempt > 1) return `logs/pipelines/${runId}/attempts/${stepName}/${attempt}.log`;
  return `logs/pipelines/${runId}/${stepName}.log`;
}

/** A cache entry: `caches/<project>/<sha256 of the rendered key>.tar.gz` (keys may be 200 characters). */
export function cacheObjectKey(projectId: string, key: string): string {
  return `caches/${projectId}/${createHash('sha256').update(key).digest('hex')}.tar.gz`;
}
