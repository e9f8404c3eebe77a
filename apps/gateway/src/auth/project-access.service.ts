import { MemberRole, PrismaService, Project } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError } from '@kiln/errors';
import { Actor } from './actor';

const RANK: Record<MemberRole, number> = { read: 1, write: 2, admin: 3 };

export interface ProjectAccess {
  project: Project;
  /** The caller's role on the project (platform admins act as project admins). */
  role: MemberRole;
}

/**
 * Tenant isolation in one place: a project the caller is not a member of does not exist for
 * them (404); a member with too small a role, or a token without the scope, gets 403.
 */
@Injectable()
export class ProjectAccessService {
  constructor(private readonly prisma: PrismaService) {}

  async require(actor: Actor, projectId: string, needed: MemberRole): Promise<ProjectAccess> {
    const project = await this.prisma.project.findUnique({
      where: { id: projectId },
      include: { members: { where: { userId: actor.userId } } },
    });
    const role: MemberRole | undefined = actor.isAdmin ? 'admin' : project?.members[0]?.role;
    if (!project || !role) throw new NotFoundError(`project ${projectId} not found`);
    const { members: _members, ...row } = project;
    if (RANK[role] < RANK[needed]) {
      throw new ForbiddenError(`this needs the "${needed}" role on the project; yours is "${role}"`);
    }
    requireScope(actor, needed === 'read' ? 'read' : 'write');
    return { project: row, role };
  }

  /** Ids of the projects the caller may read; null means every project (platform admin). */
  async readableProjectIds(actor: Actor): Promise<string[] | null> {
    requireScope(actor, 'read');
    if (actor.isAdmin) return null;
    const rows = await this.prisma.projectMember.findMany({
      where: { userId: actor.userId },
      select: { projectId: true },
    });
    return rows.map((r) => r.projectId);
  }
}

/** `project:write` implies `project:read`. */
export function requireScope(actor: Actor, kind: 'read' | 'write'): void {
  const ok =
    kind === 'read'
      ? actor.scopes.some((s) => s === 'project:read' || s === 'project:write')
      : actor.scopes.includes('project:write');
  if (!ok) throw new ForbiddenError(`this token lacks the "project:${kind}" scope`);
}
