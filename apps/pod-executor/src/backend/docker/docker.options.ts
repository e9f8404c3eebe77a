import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export type PullPolicy = 'if-not-present' | 'always' | 'never';

export interface DockerBackendOptions {
  /** Engine address (`unix:///path`, `tcp://host:port`); unset: DOCKER_HOST, else /var/run/docker.sock. */
  host?: string;
  pullPolicy: PullPolicy;
  pullTimeoutMs: number;
  /** `none` (a private loopback per run), `host`, or the name of a Docker network an operator made. */
  egress: string;
  /** Holds each run's network namespace and receives its checkout: needs `sleep`. */
  helperImage: string;
  /** Capabilities steps keep; every other one is dropped. */
  capAdd: string[];
  /** `uid[:gid]` for steps that name no `user`; empty: the image's USER. */
  defaultUser?: string;
  /** Limits for steps whose `resources` say nothing (Kubernetes quantities). */
  defaultCpu?: string;
  defaultMemory?: string;
  pidsLimit: number;
  executorId: string;
  /** Artifacts copied out of run volumes wait here for upload. */
  collectDir: string;
}

/**
 * Kept by default (Docker's own default set minus NET_RAW, MKNOD, AUDIT_WRITE, SETPCAP, SETFCAP,
 * NET_BIND_SERVICE and SYS_CHROOT): what package managers and build tools run as root in a
 * container need to install files and drop to another user. `no-new-privileges` stays on.
 */
export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID'];
export const DEFAULT_HELPER_IMAGE = 'kiln/helper:busybox';

const USER = /^[0-9]{1,10}(:[0-9]{1,10})?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const CAPABILITIES = /^([A-Z_]+(,[A-Z_]+)*)?$/;

/** Variables of the docker backend, validated always so a typo stops the executor by name. */
export class DockerEnv {
  /** Docker Engine address; unset: DOCKER_HOST, else /var/run/docker.sock. */
  @IsOptional() @IsString() KILN_DOCKER_HOST?: string;

  @IsIn(['if-not-present', 'always', 'never']) KILN_DOCKER_PULL_POLICY: PullPolicy = 'if-not-present';

  /** A pull that has not finished after this long fails the step. */
  @IsInt() @Min(5) @Max(3600) KILN_DOCKER_PULL_TIMEOUT_SECONDS: number = 300;

  /** `none`: steps reach nothing but each other; `host`: the host's network; else a network's name. */
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, { message: 'must be none, host or a Docker network name' })
  KILN_DOCKER_EGRESS: string = 'none';

  @IsString() KILN_DOCKER_HELPER_IMAGE: string = DEFAULT_HELPER_IMAGE;

  /** Comma-separated capabilities steps keep (all others dropped); empty keeps none. */
  @Matches(CAPABILITIES, { message: 'must be comma-separated capability names such as CHOWN,SETUID' })
  KILN_DOCKER_CAP_ADD: string = DEFAULT_CAPABILITIES.join(',');

  @IsOptional() @Matches(USER, { message: 'must be uid or uid:gid' }) KILN_DOCKER_USER?: string;

  @IsOptional()
  @Matches(QUANTITY, { message: 'must be a CPU quantity such as 2 or 500m' })
  KILN_DOCKER_DEFAULT_CPU?: string;

  @IsOptional()
  @Matches(QUANTITY, { message: 'must be a memory quantity such as 2Gi' })
  KILN_DOCKER_DEFAULT_MEMORY?: string;

  @IsInt() @Min(16) @Max(1_000_000) KILN_DOCKER_PIDS_LIMIT: number = 1024;
}

export function dockerOptionsFromEnv(
  env: DockerEnv,
  executorId: string,
  collectDir: string,
): DockerBackendOptions {
  return {
    host: env.KILN_DOCKER_HOST,
    pullPolicy: env.KILN_DOCKER_PULL_POLICY,
    pullTimeoutMs: env.KILN_DOCKER_PULL_TIMEOUT_SECONDS * 1000,
    egress: env.KILN_DOCKER_EGRESS,
    helperImage: env.KILN_DOCKER_HELPER_IMAGE,
    capAdd: env.KILN_DOCKER_CAP_ADD.split(',').filter(Boolean),
    defaultUser: env.KILN_DOCKER_USER,
    defaultCpu: env.KILN_DOCKER_DEFAULT_CPU,
    defaultMemory: env.KILN_DOCKER_DEFAULT_MEMORY,
    pidsLimit: env.KILN_DOCKER_PIDS_LIMIT,
    executorId,
    collectDir,
  };
}
