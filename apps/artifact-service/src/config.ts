import { CommonEnv, DatabaseEnv, InternalListenEnv, InternalTokenEnv, StorageEnv, loadEnv } from '@kiln/config';
import { parseDuration } from '@kiln/definition';
import { IsInt, Max, Min, ValidateBy } from 'class-validator';

class ArtifactEnv {
  @IsInt() @Min(0) @Max(65535) KILN_ARTIFACT_PORT: number = 8085;
  /** Seconds between sweeps that delete expired artifacts. */
  @IsInt() @Min(1) KILN_ARTIFACT_SWEEP_SECONDS: number = 300;
  /** Largest artifact file accepted, in bytes (default 1 GiB); larger uploads get 413. */
  @IsInt() @Min(1) KILN_ARTIFACT_MAX_BYTES: number = 1024 * 1024 * 1024;
  /** Largest cache entry accepted, in bytes (default 2 GiB); a larger one is not saved (413). */
  @IsInt() @Min(1) KILN_CACHE_MAX_BYTES: number = 2 * 1024 * 1024 * 1024;
  /** A cache entry neither saved nor restored for this long (`14d`, `12h`) is deleted by the sweeper. */
  @IsDuration() KILN_CACHE_TTL: string = '14d';
}

function IsDuration(): PropertyDecorator {
  return ValidateBy({
    name: 'isDuration',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && (parseDuration(value) ?? 0) > 0,
      defaultMessage: () => 'must be a duration such as 14d, 36h or 90m',
    },
  });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv([CommonEnv, DatabaseEnv, StorageEnv, InternalTokenEnv, InternalListenEnv, ArtifactEnv], env);
}

export type ArtifactConfig = ReturnType<typeof loadConfig>;

/** KILN_CACHE_TTL in milliseconds (validated at start). */
export const cacheTtlMs = (config: ArtifactConfig): number => parseDuration(config.KILN_CACHE_TTL)!;
export const ARTIFACT_CONFIG = Symbol('ARTIFACT_CONFIG');
