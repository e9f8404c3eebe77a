import { PrismaService, User } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor, SCOPES } from '../auth/actor';
import { TokenIssuer } from '../auth/token-issuer.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError, NotFoundError } from '@kiln/errors';
import { afterCursor, NEWEST_FIRST, PageQuery, pageSize, toPage } from '../common/pagination';
import { CreateUserDto, UpdateUserDto } from './users.dto';

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

  async get(id: string) {
    return presentUser(await this.find(id));
  }

  /** Name, email, disabled: disabling revokes every token of the user in the same transaction. */
  async update(actor: Actor, id: string, dto: UpdateUserDto) {
    const user = await this.find(id);
    if (dto.disabled === true && id === actor.userId) throw new ConflictError('you cannot disable yourself');
    if (dto.email && dto.email !== user.email && (await this.prisma.user.findUnique({ where: { email: dto.email } })))
      throw new ConflictError(`a user with email ${dto.email} already exists`);
    const now = new Date();
    return this.prisma.$transaction(async (tx) => {
      const disabling = dto.disabled === true && !user.disabledAt;
      const updated = await tx.user.update({
        where: { id },
        data: {
          ...(dto.name !== undefined ? { name: dto.name } : {}),
          ...(dto.email !== undefined ? { email: dto.email } : {}),
          ...(dto.disabled !== undefined ? { disabledAt: dto.disabled ? (user.disabledAt ?? now) : null } : {}),
        },
      });
      const revoked = disabling
        ? (await tx.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: now } })).count
        : 0;
      const changed = Object.keys(dto).filter((k) => dto[k as keyof UpdateUserDto] !== undefined);
      await this.audit.record(
        actor,
        { action: 'user.update', targetType: 'user', targetId: id, details: { changed, tokens_revoked: revoked } },
        tx,
      );
      return presentUser(updated);
    });
  }

  /** Removes the user with their tokens and memberships; runs and audit entries keep their name. */
  async remove(actor: Actor, id: string) {
    const user = await this.find(id);
    if (id === actor.userId) throw new ConflictError('you cannot delete yourself');
    await this.prisma.$transaction(async (tx) => {
      await tx.user.delete({ where: { id } });
      await this.audit.record(actor, { action: 'user.delete', targetType: 'user', targetId: id, details: { email: user.email } }, tx);
    });
  }

  private async find(id: string): Promise<User> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) throw new NotFoundError(`user ${id} not found`);
    return user;
  }
}

export function presentUser(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    is_admin: user.isAdmin,
    disabled: user.disabledAt !== null,
    disabled_at: user.disabledAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
  };
}
