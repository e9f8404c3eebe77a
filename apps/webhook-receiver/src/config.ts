import { CommonEnv, DatabaseEnv, SecretKeyEnv, loadEnv } from '@kiln/config';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

class WebhookEnv {
  @IsInt() @Min(0) @Max(65535) KILN_WEBHOOK_PORT: number = 8081;

  /** Largest accepted delivery body (GitHub caps payloads at 25 MB). */
  @IsString() @Matches(/^\d+(b|kb|mb)$/i) KILN_WEBHOOK_BODY_LIMIT: string = '25mb';

  /**
   * Deliveries one client address may send per window (0 turns the limit off). Generous:
   * GitHub and GitLab send every repository's deliveries from a handful of addresses.
   */
  @IsInt() @Min(0) KILN_WEBHOOK_RATE_LIMIT: number = 6000;

  /** Length of the rate-limit window, in milliseconds. */
  @IsInt() @Min(1000) KILN_WEBHOOK_RATE_WINDOW_MS: number = 60_000;

  /**
   * Express "trust proxy" setting, so the rate limit keys on the real client behind an ingress:
   * empty (off), `true`, a hop count (`1`) or addresses/subnets (`loopback, 10.0.0.0/8`).
   */
  @IsString() KILN_WEBHOOK_TRUST_PROXY: string = '';

  /**
   * How long a delivery keeps retrying to queue its run requests while NATS is unreachable before
   * it answers 503; well under the providers' 10 s delivery timeout.
   */
  @IsInt() @Min(100) @Max(9000) KILN_WEBHOOK_PUBLISH_TIMEOUT_MS: number = 3000;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadEnv([CommonEnv, DatabaseEnv, SecretKeyEnv, WebhookEnv], env);
}

export type WebhookConfig = ReturnType<typeof loadConfig>;
export const WEBHOOK_CONFIG = Symbol('WEBHOOK_CONFIG');
