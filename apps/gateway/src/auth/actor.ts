import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Request } from 'express';

export const SCOPES = ['project:read', 'project:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the token's user, the token itself, and where the request came from (audit). */
export interface Actor {
  userId: string;
  userName: string;
  tokenId: string;
  scopes: Scope[];
  /** When the calling token expires (null: never); tokens it mints cannot outlive it. */
  tokenExpiresAt: Date | null;
  /** A platform admin whose token carries the `admin` scope: sees and manages every project. */
  isAdmin: boolean;
  ip: string | null;
  userAgent: string | null;
}

export type AuthedRequest = Request & { actor?: Actor };

/** The caller AuthGuard identified; only valid on routes behind it. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<AuthedRequest>().actor;
  if (!actor) throw new Error('CurrentActor used on a route without AuthGuard');
  return actor;
});
