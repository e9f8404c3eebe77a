import { MemberRole, PrismaService, ProjectMember, User } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError, NotFoundError } from '@kiln/errors';
import { AddMemberDto } from './members.dto';

/** Who may do what on a project; a project always keeps at least one admin. */
@Injectable()
export class MembersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor, projectId: string) {
    await this.access.require(actor, projectId, 'read');
    const rows = await this.prisma.projectMember.findMany({
      where: { projectId },
      include: { user: true },
      orderBy: { createdAt: 'asc' },
    });
    return { items: rows.map(presentMember), next_cursor: null };
  }

  async add(actor: Actor, projectId: string, dto: AddMemberDto) {
    await this.access.require(actor, projectId, 'admin');
    const user = await this.prisma.user.findUnique({ where: { id: dto.user_id } });
    if (!user || user.disabledAt) throw new NotFoundError(`user ${dto.user_id} not found`);
    const existing = await this.prisma.projectMember.findUnique({
      where: { projectId_userId: { projectId, userId: user.id } },
    });
    if (existing)
      throw new ConflictError(
        `user ${user.id} is already a member (role "${existing.role}"); PATCH it to change the role`,
      );
    const row = await this.prisma.projectMember.create({
      data: { projectId, userId: user.id, role: dto.role },
      include: { user: true },
    });
    await this.audit.record(actor, {
      action: 'member.add',
      targetType: 'user',
      targetId: user.id,
      projectId,
      details: { role: dto.role },
    });
    return presentMember(row);
  }

  async update(actor: Actor, projectId: string, userId: string, role: MemberRole) {
    await this.access.require(actor, projectId, 'admin');
    const member = await this.find(projectId, userId);
    if (member.role === 'admin' && role !== 'admin') await this.assertAnotherAdmin(projectId, userId);
    const row = await this.prisma.projectMember.update({
      where: { projectId_userId: { projectId, userId } },
      data: { role },
      include: { user: true },
    });
    await this.audit.record(actor, {
      action: 'member.update',
      targetType: 'user',
      targetId: userId,
      projectId,
      details: { from: member.role, role },
    });
    return presentMember(row);
  }

  async remove(actor: Actor, projectId: string, userId: string): Promise<void> {
    await this.access.require(actor, projectId, 'admin');
    const member = await this.find(projectId, userId);
    if (member.role === 'admin') await this.assertAnotherAdmin(projectId, userId);
    await this.prisma.projectMember.delete({ where: { projectId_userId: { projectId, userId } } });
    await this.audit.record(actor, {
      action: 'member.remove',
      targetType: 'user',
      targetId: userId,
      projectId,
      details: { role: member.role },
    });
  }

  private async find(projectId: string, userId: string): Promise<ProjectMember> {
    const member = await this.prisma.projectMember.findUnique({
      where: { projectId_userId: { projectId, userId } },
    });
    if (!member) throw new NotFoundError(`member ${userId} not found`);
    return member;
  }

  private async assertAnotherAdmin(projectId: string, userId: string): Promise<void> {
    const others = await this.prisma.projectMember.count({
      where: { projectId, role: 'admin', userId: { not: userId } },
    });
    if (others === 0)
      throw new ConflictError('a project needs at least one admin; make someone else admin first');
  }
}

export function presentMember(row: ProjectMember & { user: User }) {
  return {
    user_id: row.userId,
    name: row.user.name,
    email: row.user.email,
    role: row.role,
    created_at: row.createdAt.toISOString(),
  };
}
