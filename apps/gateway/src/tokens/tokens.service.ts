import { ApiToken, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { TokenIssuer } from '../auth/token-issuer.service';
import { AuditService } from '../audit/audit.service';
import { ForbiddenError, InvalidInputError, NotFoundError } from '@kiln/errors';
import { afterCursor, NEWEST_FIRST, PageQuery, pageSize, toPage } from '../common/pagination';
import { CreateTokenDto } from './tokens.dto';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A user's own API tokens: create (shown once), list, revoke. */
@Injectable()
export class TokensService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly issuer: TokenIssuer,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, dto: CreateTokenDto) {
    const scopes = dto.scopes ?? actor.scopes;
    const beyond = scopes.filter((s) => !actor.scopes.includes(s));
    // A token can only hand out what it holds, so a read-only token cannot mint a writer.
    if (beyond.length > 0)
      throw new ForbiddenError(`this token cannot grant scopes it lacks: ${beyond.join(', ')}`);
    const expiresAt = boundedByParent(expiry(dto), actor.tokenExpiresAt);
    const { token, row } = await this.issuer.issue({
      userId: actor.userId,
      name: dto.name,
      scopes,
      expiresAt,
    });
    await this.audit.record(actor, {
      action: 'token.create',
      targetType: 'token',
      targetId: row.id,
      details: { name: dto.name, scopes },
    });
    return { ...presentToken(row), token };
  }

  async list(actor: Actor, query: PageQuery) {
    const limit = pageSize(query);
    const rows = await this.prisma.apiToken.findMany({
      where: { userId: actor.userId, ...afterCursor(query.cursor) },
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, presentToken);
  }

  /** Idempotent; platform admins may revoke anyone's token, others only their own. */
  async revoke(actor: Actor, tokenId: string): Promise<void> {
    const token = await this.prisma.apiToken.findUnique({ where: { id: tokenId } });
    if (!token || (token.userId !== actor.userId && !actor.isAdmin))
      throw new NotFoundError(`token ${tokenId} not found`);
    const wider = token.scopes.filter((s) => !actor.isAdmin && !(actor.scopes as string[]).includes(s));
    // Otherwise a leaked read-only token could lock its owner out by revoking their write token.
    if (wider.length > 0)
      throw new ForbiddenError(`this token cannot revoke a token with scopes it lacks: ${wider.join(', ')}`);
    if (token.revokedAt) return;
    await this.prisma.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    await this.audit.record(actor, {
      action: 'token.revoke',
      targetType: 'token',
      targetId: tokenId,
      details: { owner_id: token.userId },
    });
  }
}

function expiry(dto: CreateTokenDto): Date | null {
  if (dto.expires_at && dto.expires_in_days) {
    throw new InvalidInputError('give expires_at or expires_in_days, not both', [
      { field: 'expires_in_days', message: 'expires_in_days cannot be combined with expires_at' },
    ]);
  }
  if (dto.expires_in_days) return new Date(Date.now() + dto.expires_in_days * DAY_MS);
  if (!dto.expires_at) return null;
  const at = new Date(dto.expires_at);
  if (at.getTime() <= Date.now()) {
    throw new InvalidInputError('expires_at must be in the future', [
      { field: 'expires_at', message: 'expires_at is in the past' },
    ]);
  }
  return at;
}

/**
 * A token never outlives the token that minted it: without an asked expiry the child takes the
 * parent's, and a later one is refused rather than silently shortened.
 */
function boundedByParent(asked: Date | null, parent: Date | null): Date | null {
  if (!parent) return asked;
  if (!asked) return parent;
  if (asked > parent) {
    const message = `the calling token expires at ${parent.toISOString()}; a token it creates cannot expire later`;
    throw InvalidInputError.forField('expires_at', message);
  }
  return asked;
}

export function presentToken(row: ApiToken) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}
