import { CommonEnv, DatabaseEnv, InternalListenEnv, loadEnv, StorageEnv } from '@kiln/config';
import { IsInt, Max, Min } from 'class-validator';

class ArchiverEnv {
  /** Port of /healthz, /readyz and /metrics. */
  @IsInt() @Min(0) @Max(65535) KILN_ARCHIVER_PORT: number = 8084;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv([CommonEnv, DatabaseEnv, StorageEnv, InternalListenEnv, ArchiverEnv], env);
}

export type ArchiverConfig = ReturnType<typeof loadConfig>;
export const ARCHIVER_CONFIG = Symbol('ARCHIVER_CONFIG');
