import { parseDuration } from '@kiln/definition';
import {
  CircleCiEnv,
  CommonEnv,
  DatabaseEnv,
  ExecutorKeyEnv,
  InternalListenEnv,
  NetGuardEnv,
  SecretKeyEnv,
  loadEnv,
} from '@kiln/config';
import { IsInt, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

const DURATION = /^(\d+[smhd])+$/;

class SchedulerEnv {
  @IsInt() @Min(0) @Max(65535) KILN_SCHEDULER_PORT: number = 8082;
  /** Where the scheduler keeps its per-project git cache. */
  @IsString() KILN_DATA_DIR: string = '.kiln';
  /** Container registry injected as $REGISTRY into every step. */
  @IsString() KILN_REGISTRY: string = 'registry.local';
  /** Step timeout when the definition sets none. */
  @IsString() @Matches(DURATION) KILN_DEFAULT_STEP_TIMEOUT: string = '1h';
  /** Base URL of the web UI, used for links in commit statuses. */
  @IsString() KILN_PUBLIC_URL: string = 'http://localhost:8080';
  /** An executor silent for this long is lost; its steps are retried once, then failed. */
  @IsString() @Matches(DURATION) KILN_EXECUTOR_LOST_AFTER: string = '30s';
  /** Longest a run may take from its first step to its end. */
  @IsString() @Matches(DURATION) KILN_RUN_TIMEOUT: string = '6h';
  /**
   * A started run with no step running in which nothing happened for this long is ended as failed
   * (runs waiting for a concurrency slot and running steps are watched by other rules).
   */
  @IsString() @Matches(DURATION) KILN_RUN_STALL_TIMEOUT: string = '1h';
  @IsString() @Matches(DURATION) KILN_WATCHDOG_INTERVAL: string = '5s';
  /** Runs executing at once across all projects; 0 means no limit. Others wait queued. */
  @IsInt() @Min(0) KILN_MAX_ACTIVE_RUNS: number = 0;
  /** How often cron-scheduled pipelines are checked. */
  @IsString() @Matches(DURATION) KILN_SCHEDULE_INTERVAL: string = '15s';
  /** REST API bases for commit statuses (GitHub Enterprise / self-managed GitLab differ). */
  @IsUrl({ require_tld: false }) KILN_GITHUB_API_URL: string = 'https://api.github.com';
  @IsUrl({ require_tld: false }) KILN_GITLAB_API_URL: string = 'https://gitlab.com/api/v4';
  /** Project secret holding the provider API token used for commit statuses. */
  @IsString() KILN_PROVIDER_TOKEN_SECRET: string = 'KILN_PROVIDER_TOKEN';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv(
    [
      CommonEnv,
      DatabaseEnv,
      SecretKeyEnv,
      ExecutorKeyEnv,
      InternalListenEnv,
      NetGuardEnv,
      CircleCiEnv,
      SchedulerEnv,
    ],
    env,
  );
}

export type SchedulerConfig = ReturnType<typeof loadConfig>;
export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');

/** A duration setting in milliseconds; the config class has already checked its shape. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: "${text}"`);
  return ms;
}
