import { CommonEnv, ConfigError, EnvBoolean, loadEnv } from '@kiln/config';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

class ExecutorEnv {
  @IsInt() @Min(0) @Max(65535) KILN_EXECUTOR_PORT: number = 8083;
  /** `local` runs steps in bubblewrap sandboxes on this host; `kubernetes` as pods. */
  @IsIn(['local', 'kubernetes']) KILN_EXECUTOR_BACKEND: 'local' | 'kubernetes' = 'local';
  /** Steps this executor runs at once. */
  @IsInt() @Min(1) @Max(1000) KILN_EXECUTOR_CAPACITY: number = 4;
  /** Stable identity (defaults to `<hostname>-<pid>-<random>`). */
  @IsOptional() @IsString() KILN_EXECUTOR_ID?: string;
  /** Run workspaces (local backend) live in `<dir>/workspaces`; executors on one host share it. */
  @IsString() KILN_DATA_DIR: string = '.kiln';
  /** Where collected artifacts are uploaded. */
  @IsString() KILN_ARTIFACT_SERVICE_URL: string = 'http://127.0.0.1:8085';
  /** Per-step log cap; the rest is dropped with a truncation marker. */
  @IsInt() @Min(1024) KILN_LOG_MAX_BYTES: number = 100 * 1024 * 1024;
  /** Give local sandboxes the host network (package installs need it). */
  @EnvBoolean() KILN_SANDBOX_NETWORK: boolean = true;
  /** The bubblewrap binary (local backend). */
  @IsString() KILN_BWRAP_PATH: string = '/usr/bin/bwrap';
  /** On SIGTERM, running steps may finish for this long; then they are killed and reported failed. */
  @IsInt() @Min(0) @Max(3600) KILN_SHUTDOWN_GRACE_SECONDS: number = 20;
}

const BUILT_BACKENDS = ['local'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv([CommonEnv, ExecutorEnv], env);
  if (!BUILT_BACKENDS.includes(config.KILN_EXECUTOR_BACKEND)) {
    throw new ConfigError([
      `KILN_EXECUTOR_BACKEND ("${config.KILN_EXECUTOR_BACKEND}"): the ${config.KILN_EXECUTOR_BACKEND} backend is not available in this build; use local`,
    ]);
  }
  return config;
}

export type ExecutorConfig = ReturnType<typeof loadConfig>;
export const EXECUTOR_CONFIG = Symbol('EXECUTOR_CONFIG');
