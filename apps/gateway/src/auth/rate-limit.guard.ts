import { sha256Hex } from '@kiln/crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { Request } from 'express';

/**
 * One budget per presented token (its hash, never the token) across every route, or per
 * address for requests without one.
 */
@Injectable()
export class TokenRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const authorization = request.get('authorization')?.trim();
    // The same token counts once whichever header carries it.
    const token =
      request.get('x-api-key')?.trim() ||
      (authorization && (/^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? authorization));
    return token ? `token:${sha256Hex(token)}` : `ip:${request.ip ?? 'unknown'}`;
  }

  // Throttler's default key includes the route; the limit is per caller, not per caller and route.
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }
}
