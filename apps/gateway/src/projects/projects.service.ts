import { SecretBox } from '@kiln/crypto';
import { inPoolTransaction, MemberRole, Prisma, PrismaService, Project } from '@kiln/db';
import { RepoGuard } from '@kiln/net-guard';
import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { Actor } from '../auth/actor';
import { ProjectAccessService, requireScope } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError, InvalidInputError } from '@kiln/errors';
import { afterCursor, NEWEST_FIRST, PageQuery, pageSize, toPage } from '../common/pagination';
import { SECRET_BOX } from '../common/secret-box.provider';
import { CreateProjectDto, UpdateProjectDto } from './projects.dto';
import { insertProject, isNameClash, projectIdByName } from './project-rows';
import { isRepoFullName } from './repo-full-name';

@Injectable()
export class ProjectsService {
  private readonly logger = new Logger(ProjectsService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly repos: RepoGuard,
  ) {}

  /** The creator becomes project admin; a `default` pipeline reads `.platform.yaml` from the repository. */
  async create(actor: Actor, dto: CreateProjectDto) {
    requireScope(actor, 'write');
    const fullName = await this.repoFullName(dto.repo_url, dto.repo_full_name);
    await this.assertNameFree(dto.name);
    const id = randomUUID();
    const generated = dto.webhook_secret ? undefined : randomBytes(24).toString('base64url');
    // On the pg pool, like the access checks: a gateway that only creates projects and answers
    // their requests never loads Prisma's query compiler (bench/README.md, app-rss).
    const now = new Date();
    const project = await inPoolTransaction(this.prisma.pool, async (client) => {
      await client.query('BEGIN');
      const row = await insertProject(
        client,
        {
          id,
          name: dto.name,
          repoUrl: dto.repo_url,
          repoFullName: fullName,
          provider: dto.provider,
          defaultBranch: dto.default_branch ?? 'main',
          webhookSecretEnc: this.box.encrypt(dto.webhook_secret ?? generated!, id),
          createdById: actor.userId,
        },
        now,
      );
      await this.audit.recordOn(
        client,
        actor,
        { action: 'project.create', targetType: 'project', targetId: id, projectId: id, details: { name: dto.name } },
        now,
      );
      return row;
    }).catch(clashToConflict(dto.name));
    return { ...presentProject(project, 'admin'), ...(generated ? { webhook_secret: generated } : {}) };
  }

  async list(actor: Actor, query: PageQuery) {
    requireScope(actor, 'read');
    const limit = pageSize(query);
    const rows = await this.prisma.project.findMany({
      where: {
        ...afterCursor(query.cursor),
        ...(actor.isAdmin ? {} : { members: { some: { userId: actor.userId } } }),
      },
      include: { members: { where: { userId: actor.userId } } },
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, (p) => presentProject(p, actor.isAdmin ? 'admin' : p.members[0]!.role));
  }

  async get(actor: Actor, id: string) {
    const { project, role } = await this.access.require(actor, id, 'read');
    return presentProject(project, role);
  }

  async update(actor: Actor, id: string, dto: UpdateProjectDto) {
    const { role } = await this.access.require(actor, id, 'admin');
    const data: Prisma.ProjectUpdateInput = {};
    if (dto.name !== undefined) {
      await this.assertNameFree(dto.name, id);
      data.name = dto.name;
    }
    if (dto.repo_url !== undefined) {
      data.repoUrl = dto.repo_url;
      data.repoFullName = await this.repoFullName(dto.repo_url, dto.repo_full_name);
    } else if (dto.repo_full_name !== undefined) {
      data.repoFullName = dto.repo_full_name;
    }
    if (dto.provider !== undefined) data.provider = dto.provider;
    if (dto.default_branch !== undefined) data.defaultBranch = dto.default_branch;
    if (dto.webhook_secret !== undefined) data.webhookSecretEnc = this.box.encrypt(dto.webhook_secret, id);
    if (dto.concurrency_limit !== undefined) data.concurrencyLimit = dto.concurrency_limit;
    if (dto.secrets_for_forks !== undefined) data.secretsForForks = dto.secrets_for_forks;
    if (dto.public_badge !== undefined) data.publicBadge = dto.public_badge;
    // The scheduler reads repository schedules again from the new repository or default branch.
    if (dto.repo_url !== undefined || dto.default_branch !== undefined)
      data.pipelines = { updateMany: { where: { yamlConfig: null }, data: { scheduleReadAt: null } } };
    const project = await this.prisma.project
      .update({ where: { id }, data })
      .catch(clashToConflict(dto.name ?? ''));
    const changed = Object.keys(dto).filter(
      (k) => k !== 'webhook_secret' || dto.webhook_secret !== undefined,
    );
    await this.audit.record(actor, {
      action: 'project.update',
      targetType: 'project',
      targetId: id,
      projectId: id,
      details: { changed },
    });
    return presentProject(project, role);
  }

  /** Refused while runs are active: their steps would keep running with nothing to report to. */
  async remove(actor: Actor, id: string): Promise<void> {
    const { project } = await this.access.require(actor, id, 'admin');
    const active = await this.prisma.run.count({
      where: { projectId: id, status: { in: ['queued', 'running'] } },
    });
    if (active > 0)
      throw new ConflictError(`project has ${active} active run(s); cancel them before deleting it`);
    const runs = await this.prisma.run.findMany({ where: { projectId: id }, select: { id: true } });
    await this.prisma.project.delete({ where: { id } });
    await this.audit.record(actor, {
      action: 'project.delete',
      targetType: 'project',
      targetId: id,
      projectId: id,
      details: { name: project.name },
    });
    await this.removeObjects(runs.map((r) => r.id));
  }

  /** Logs and artifacts of the deleted runs; a failure leaves orphans (logged), never a half-deleted project. */
  private async removeObjects(runIds: string[]): Promise<void> {
    for (const runId of runIds) {
      for (const prefix of [`logs/pipelines/${runId}/`, `artifacts/${runId}/`]) {
        await this.storage.deletePrefix(prefix).catch((error: unknown) => {
          this.logger.warn({ prefix, error: String(error) }, 'objects of a deleted project were not removed');
        });
      }
    }
  }

  /**
   * Checks the URL with the SSRF guard (the scheduler and the executor check it again before every
   * fetch); the name given by the caller wins over the one the URL reveals.
   */
  private async repoFullName(url: string, given: string | undefined): Promise<string | null> {
    const check = await this.repos.check(url, false);
    if (!check.ok) throw InvalidInputError.forField('repo_url', check.reason);
    if (given !== undefined) return given;
    // A path that is no repository name (`/../x`, `~user/x`) routes no webhooks; set repo_full_name then.
    return check.fullName !== null && isRepoFullName(check.fullName) ? check.fullName : null;
  }

  private async assertNameFree(name: string, exceptId?: string): Promise<void> {
    const clash = await projectIdByName(this.prisma.pool, name);
    if (clash !== null && clash !== exceptId) throw new ConflictError(`a project named "${name}" already exists`);
  }
}

/** Two creators racing for one name: the unique index decides, the loser gets the same 409. */
function clashToConflict(name: string) {
  return (error: unknown): never => {
    // Prisma's code from an update, pg's own error from creation on the pool.
    if ((error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') || isNameClash(error)) {
      throw new ConflictError(`a project named "${name}" already exists`);
    }
    throw error;
  };
}

export function presentProject(p: Project, role: MemberRole) {
  return {
    id: p.id,
    name: p.name,
    repo_url: p.repoUrl,
    repo_full_name: p.repoFullName,
    provider: p.provider,
    default_branch: p.defaultBranch,
    concurrency_limit: p.concurrencyLimit,
    secrets_for_forks: p.secretsForForks,
    public_badge: p.publicBadge,
    role,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
    last_activity_at: p.lastActivityAt?.toISOString() ?? null,
  };
}
