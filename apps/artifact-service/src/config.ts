import { CommonEnv, DatabaseEnv, InternalListenEnv, InternalTokenEnv, StorageEnv, loadEnv } from '@kiln/config';
import { IsInt, Max, Min } from 'class-validator';

class ArtifactEnv {
  @IsInt() @Min(0) @Max(65535) KILN_ARTIFACT_PORT: number = 8085;
  /** Seconds between sweeps that delete expired artifacts. */
  @IsInt() @Min(1) KILN_ARTIFACT_SWEEP_SECONDS: number = 300;
  /** Largest artifact file accepted, in bytes (default 1 GiB); larger uploads get 413. */
  @IsInt() @Min(1) KILN_ARTIFACT_MAX_BYTES: number = 1024 * 1024 * 1024;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv([CommonEnv, DatabaseEnv, StorageEnv, InternalTokenEnv, InternalListenEnv, ArtifactEnv], env);
}

export type ArtifactConfig = ReturnType<typeof loadConfig>;
export const ARTIFACT_CONFIG = Symbol('ARTIFACT_CONFIG');
