import { Inject, Injectable } from '@nestjs/common';
import { Response } from 'express';
import { TooManyRequestsError } from '@kiln/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Failed authentications per client address and window. Counting by address, not by the token
 * presented, is what stops guessing: every made-up token would otherwise start a fresh budget.
 * Kept in memory like the request limiter, so each gateway replica counts on its own.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  /** Refuses (429, Retry-After) a client that used up its failures, before its token is looked at. */
  assertAllowed(client: string, res: Response, now = Date.now()): void {
    const window = this.windows.get(client);
    if (!window || window.endsAt <= now || window.failures < this.config.KILN_AUTH_FAILURE_LIMIT) return;
    res.setHeader('Retry-After', Math.ceil((window.endsAt - now) / 1000));
    throw new TooManyRequestsError(
      `too many failed authentications from this address: at most ${this.config.KILN_AUTH_FAILURE_LIMIT} per ${this.config.KILN_RATE_LIMIT_WINDOW_MS / 1000} s; retry after the Retry-After header`,
    );
  }

  recordFailure(client: string, now = Date.now()): void {
    this.forgetEnded(now);
    const window = this.windows.get(client);
    if (window && window.endsAt > now) window.failures += 1;
    else this.windows.set(client, { failures: 1, endsAt: now + this.config.KILN_RATE_LIMIT_WINDOW_MS });
  }

  // A scan of random addresses must not grow the map forever: ended windows go on the next failure.
  private forgetEnded(now: number): void {
    for (const [client, window] of this.windows) if (window.endsAt <= now) this.windows.delete(client);
  }
}
