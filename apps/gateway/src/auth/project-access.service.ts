import { MemberRole, PrismaService, Project } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError } from '@kiln/errors';
import { memberProjectIds, projectForMember } from '../projects/project-rows';
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
    // On the pg pool: every project request passes here, and through Prisma the first one loaded its
    // query compiler into the gateway and each compiled the query again (bench/README.md).
    const found = await projectForMember(this.prisma.pool, projectId, actor.userId);
    const role: MemberRole | undefined = actor.isAdmin ? 'admin' : (found?.memberRole ?? undefined);
    if (!found || !role) throw new NotFoundError(`project ${projectId} not found`);
    if (RANK[role] < RANK[needed]) {
      throw new ForbiddenError(`this needs the "${needed}" role on the project; yours is "${role}"`);
    }
    requireScope(actor, needed === 'read' ? 'read' : 'write');
    return { project: found.project, role };
  }

  /** Ids of the projects the caller may read; null means every project (platform admin). */
  async readableProjectIds(actor: Actor): Promise<string[] | null> {
    requireScope(actor, 'read');
    if (actor.isAdmin) return null;
    return memberProjectIds(this.prisma.pool, actor.userId);
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
