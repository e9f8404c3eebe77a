import { CommonEnv, DatabaseEnv, StorageEnv, loadEnv } from '@kiln/config';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

class ArtifactEnv {
  @IsInt() @Min(0) @Max(65535) KILN_ARTIFACT_PORT: number = 8085;
  /** Seconds between sweeps that delete expired artifacts. */
  @IsInt() @Min(1) KILN_ARTIFACT_SWEEP_SECONDS: number = 300;
  /** Largest artifact file accepted, in bytes (default 1 GiB); larger uploads get 413. */
  @IsInt() @Min(1) KILN_ARTIFACT_MAX_BYTES: number = 1024 * 1024 * 1024;
  /**
   * Shared secret executors send as `X-Kiln-Internal-Token`. Unset (the embedded default, where
   * the service listens on a private machine) the internal API takes no token; set it whenever
   * the port is reachable by anything but the executors and gateways.
   */
  @IsOptional() @IsString() @MinLength(16) KILN_INTERNAL_TOKEN?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv([CommonEnv, DatabaseEnv, StorageEnv, ArtifactEnv], env);
}

export type ArtifactConfig = ReturnType<typeof loadConfig>;
export const ARTIFACT_CONFIG = Symbol('ARTIFACT_CONFIG');
