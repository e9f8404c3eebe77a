import {
  CircleCiEnv,
  CommonEnv,
  DatabaseEnv,
  NetGuardEnv,
  StorageEnv,
  SecretKeyEnv,
  loadEnv,
} from '@kiln/config';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { IsProxyList } from './common/proxy-list';

class GatewayEnv {
  @IsInt() @Min(0) @Max(65535) KILN_GATEWAY_PORT: number = 8080;
  /** Bootstrap admin's API token; generated and printed once when unset. */
  @IsOptional() @IsString() @MinLength(20) KILN_ADMIN_TOKEN?: string;
  /** Largest JSON body the API accepts; larger ones get 413. */
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'must be a size such as 512kb or 1mb' })
  KILN_GATEWAY_BODY_LIMIT: string = '1mb';
  /** Requests one token (or one address without a token) may make per window. */
  @IsInt() @Min(1) KILN_RATE_LIMIT: number = 1200;
  /** Failed authentications one client address may make per window before it gets 429. */
  @IsInt() @Min(1) KILN_AUTH_FAILURE_LIMIT: number = 30;
  /**
   * Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the client; empty trusts
   * none, so a client cannot pick the address its audit entries and failure budget are kept under.
   */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : value,
  )
  @IsProxyList()
  KILN_TRUSTED_PROXIES: string[] = [];
  /** Length of the rate-limit window in milliseconds. */
  @IsInt() @Min(1000) KILN_RATE_LIMIT_WINDOW_MS: number = 60_000;
  /** How long a manual run request waits for the scheduler to create the run row before answering 202. */
  @IsInt() @Min(0) @Max(30_000) KILN_RUN_CREATE_WAIT_MS: number = 5000;
  /** Lifetime of presigned download URLs (S3). */
  @IsInt() @Min(1) @Max(604_800) KILN_PRESIGN_TTL_SECONDS: number = 300;
  /** The scheduler's global limit on running runs (0 = none): a queued run's place counts it too. */
  @IsInt() @Min(0) KILN_MAX_ACTIVE_RUNS: number = 0;
  /** The webhook receiver's public base URL, shown in the UI; default: the caller's host on KILN_WEBHOOK_PORT. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  KILN_WEBHOOK_URL?: string;
  @IsInt() @Min(0) @Max(65535) KILN_WEBHOOK_PORT: number = 8081;
  /** The web UI's built files; defaults to apps/web/dist when it exists. */
  @IsOptional() @IsString() KILN_WEB_DIR?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv(
    [CommonEnv, DatabaseEnv, StorageEnv, SecretKeyEnv, NetGuardEnv, CircleCiEnv, GatewayEnv],
    env,
  );
}

export type GatewayConfig = ReturnType<typeof loadConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
