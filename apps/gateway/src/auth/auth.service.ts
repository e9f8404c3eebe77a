import { hashToken } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Request } from 'express';
import { UnauthenticatedError } from '@kiln/errors';
import { Actor, Scope, SCOPES } from './actor';
import { stampLastUsed, tokenByHash } from './token-rows';

/** last_used_at is written at most this often per token, so reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Turns the credentials of a request into an Actor, or refuses with the reason. Every API request
 * passes here, so it reads through the pg pool (token-rows.ts), not Prisma.
 */
@Injectable()
export class AuthService {
  constructor(private readonly prisma: PrismaService) {}

  async authenticate(req: Request): Promise<Actor> {
    const presented = presentedToken(req);
    if (!presented) {
      throw new UnauthenticatedError(
        'missing API token: send "Authorization: Bearer <token>" or "X-API-Key: <token>"',
      );
    }
    const token = await tokenByHash(this.prisma.pool, hashToken(presented));
    const now = new Date();
    if (!token) throw new UnauthenticatedError('invalid API token');
    // Disabling a user revokes their tokens too; the answer names the reason that matters.
    if (token.user.disabledAt) throw new UnauthenticatedError('the token owner is disabled');
    if (token.revokedAt) throw new UnauthenticatedError('API token was revoked');
    if (token.expiresAt && token.expiresAt <= now) throw new UnauthenticatedError('API token expired');
    await this.touch(token.id, token.lastUsedAt, now);
    const scopes = token.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    return {
      userId: token.userId,
      userName: token.user.name,
      tokenId: token.id,
      scopes,
      tokenExpiresAt: token.expiresAt,
      isAdmin: token.user.isAdmin && scopes.includes('admin'),
      ip: req.ip ?? null,
      userAgent: req.get('user-agent')?.slice(0, 500) ?? null,
    };
  }

  private async touch(tokenId: string, lastUsedAt: Date | null, now: Date): Promise<void> {
    if (lastUsedAt && now.getTime() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    await stampLastUsed(this.prisma.pool, tokenId, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS));
  }
}

/** The token from `X-API-Key` or `Authorization: Bearer`; null when neither is present. */
export function presentedToken(req: Request): string | null {
  const apiKey = req.get('x-api-key')?.trim();
  if (apiKey) return apiKey;
  const authorization = req.get('authorization')?.trim();
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match)
    throw new UnauthenticatedError('unsupported Authorization scheme: use "Authorization: Bearer <token>"');
  return match[1]!;
}
