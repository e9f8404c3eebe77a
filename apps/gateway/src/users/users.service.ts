import { PrismaService, User } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor, SCOPES } from '../auth/actor';
import { TokenIssuer } from '../auth/token-issuer.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError } from '../common/errors';
import { afterCursor, NEWEST_FIRST, PageQuery, pageSize, toPage } from '../common/pagination';
import { CreateUserDto } from './users.dto';

@Injectable()
export class UsersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tokens: TokenIssuer,
    private readonly audit: AuditService,
  ) {}

  async me(actor: Actor) {
    const user = await this.prisma.user.findUniqueOrThrow({
      where: { id: actor.userId },
      include: {
        memberships: { include: { project: { select: { name: true } } }, orderBy: { createdAt: 'asc' } },
      },
    });
    return {
      ...presentUser(user),
      token_id: actor.tokenId,
      scopes: actor.scopes,
      memberships: user.memberships.map((m) => ({
        project_id: m.projectId,
        project_name: m.project.name,
        role: m.role,
      })),
    };
  }

  /** A new user with a first token (all project scopes, plus `admin` for platform admins). */
  async create(actor: Actor, dto: CreateUserDto) {
    if (await this.prisma.user.findUnique({ where: { email: dto.email } })) {
      throw new ConflictError(`a user with email ${dto.email} already exists`);
    }
    return this.prisma.$transaction(async (tx) => {
      const isAdmin = dto.is_admin ?? false;
      const user = await tx.user.create({ data: { name: dto.name, email: dto.email, isAdmin } });
      const scopes = isAdmin ? [...SCOPES] : (['project:read', 'project:write'] as const);
      const { token, row } = await this.tokens.issue(
        { userId: user.id, name: 'first token', scopes: [...scopes] },
        tx,
      );
      await this.audit.record(
        actor,
        {
          action: 'user.create',
          targetType: 'user',
          targetId: user.id,
          details: { email: user.email, is_admin: isAdmin },
        },
        tx,
      );
      return { ...presentUser(user), token, token_id: row.id };
    });
  }

  async list(query: PageQuery) {
    const limit = pageSize(query);
    const rows = await this.prisma.user.findMany({
      where: afterCursor(query.cursor),
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, presentUser);
  }
}

export function presentUser(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    is_admin: user.isAdmin,
    created_at: user.createdAt.toISOString(),
  };
}
