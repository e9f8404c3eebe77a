import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthedRequest } from './actor';

/**
 * One request budget per authenticated token across every route. It runs after AuthGuard, so a
 * made-up token never gets a budget of its own: failures are counted per address there instead.
 */
@Injectable()
export class TokenRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as AuthedRequest;
    return request.actor ? `token:${request.actor.tokenId}` : `ip:${request.ip ?? 'unknown'}`;
  }

  // Throttler's default key includes the route; the limit is per caller, not per caller and route.
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }
}
