import { CommonEnv, ConfigError, EnvBoolean, InternalListenEnv, InternalTokenEnv, loadEnv, NetGuardEnv } from '@kiln/config';
import { accessSync, constants, statSync } from 'node:fs';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DockerEnv } from './backend/docker/docker.options';
import { KubernetesEnv } from './backend/kubernetes/kubernetes.env';

class ExecutorEnv {
  @IsInt() @Min(0) @Max(65535) KILN_EXECUTOR_PORT: number = 8083;
  /** `docker`: containers on a Docker Engine; `local`: bubblewrap sandboxes on this host; `kubernetes`: pods. */
  @IsIn(['local', 'docker', 'kubernetes']) KILN_EXECUTOR_BACKEND: 'local' | 'docker' | 'kubernetes' = 'local';
  /** Steps this executor runs at once. */
  @IsInt() @Min(1) @Max(1000) KILN_EXECUTOR_CAPACITY: number = 4;
  /** Stable identity (defaults to `<hostname>-<pid>-<random>`). */
  @IsOptional() @IsString() KILN_EXECUTOR_ID?: string;
  /** Run workspaces (local backend) live in `<dir>/workspaces`; executors on one host share it. */
  @IsString() KILN_DATA_DIR: string = '.kiln';
  /** Where collected artifacts are uploaded. */
  @IsString() KILN_ARTIFACT_SERVICE_URL: string = 'http://127.0.0.1:8085';
  /**
   * The scheduler's KILN_EXECUTOR_KEY: opens the secrets sealed in dispatches. Without it, a step
   * that carries secrets fails with a reason naming this variable; other steps run.
   */
  @IsOptional()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'must be 32 bytes written as 64 hex characters or 44 base64 characters',
  })
  KILN_EXECUTOR_KEY?: string;
  /** Per-step log cap; the rest is dropped with a truncation marker. */
  @IsInt() @Min(1024) KILN_LOG_MAX_BYTES: number = 100 * 1024 * 1024;
  /**
   * Give local sandboxes the host network. Off, a step has a private loopback only: no package
   * installs or fetches, but no reach to this host's services (NATS, PostgreSQL, internal APIs)
   * either; on, it reaches everything the host reaches, the platform included.
   */
  @EnvBoolean() KILN_SANDBOX_NETWORK: boolean = false;
  /** The bubblewrap binary (local backend). */
  @IsString() KILN_BWRAP_PATH: string = '/usr/bin/bwrap';
  /** On SIGTERM, running steps may finish for this long; then they are killed and reported failed. */
  @IsInt() @Min(0) @Max(3600) KILN_SHUTDOWN_GRACE_SECONDS: number = 20;
  /** Seconds between sweeps for orphaned workspaces, pods and volumes (one also runs at start). */
  @IsInt() @Min(1) @Max(86_400) KILN_ORPHAN_SWEEP_SECONDS: number = 900;
  /**
   * A run's leftovers are orphans once nothing touched them for this many seconds. Keep it above
   * the scheduler's KILN_RUN_TIMEOUT, so no run that may still get a step loses its workspace.
   */
  @IsInt() @Min(60) KILN_ORPHAN_AGE_SECONDS: number = 86_400;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv(
    [CommonEnv, InternalTokenEnv, InternalListenEnv, NetGuardEnv, ExecutorEnv, DockerEnv, KubernetesEnv],
    env,
  );
  if (config.KILN_EXECUTOR_BACKEND === 'kubernetes' && config.KILN_KUBECONFIG) {
    const problem = kubeconfigProblem(config.KILN_KUBECONFIG);
    if (problem) throw new ConfigError([`KILN_KUBECONFIG ("${config.KILN_KUBECONFIG}"): ${problem}`]);
  }
  return config;
}

// The client would fail later with a bare ENOENT; said here, the message names the variable.
function kubeconfigProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`;
  }
}

export type ExecutorConfig = ReturnType<typeof loadConfig>;
export const EXECUTOR_CONFIG = Symbol('EXECUTOR_CONFIG');
