import { Pipeline, Prisma, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError, NotFoundError } from '@kiln/errors';
import { afterCursor, NEWEST_FIRST, PageQuery, pageSize, toPage } from '../common/pagination';
import { requireValidDefinition, scheduleOf } from './definition-check';
import { CreatePipelineDto, UpdatePipelineDto } from './pipelines.dto';

/** Pipeline definitions of a project: inline YAML (validated on write) or read from the repository. */
@Injectable()
export class PipelinesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, projectId: string, dto: CreatePipelineDto) {
    await this.access.require(actor, projectId, 'write');
    const definition = dto.yaml_config === undefined ? null : requireValidDefinition(dto.yaml_config);
    await this.assertNameFree(projectId, dto.name);
    const row = await this.prisma.pipeline
      .create({
        data: {
          projectId,
          name: dto.name,
          description: dto.description ?? null,
          yamlConfig: dto.yaml_config ?? null,
          configPath: dto.config_path ?? '.platform.yaml',
          cancelPrevious: dto.cancel_previous ?? false,
          ...(definition ? scheduleOf(definition) : {}),
        },
      })
      .catch(clashToConflict(dto.name));
    await this.audit.record(actor, {
      action: 'pipeline.create',
      targetType: 'pipeline',
      targetId: row.id,
      projectId,
      details: { name: row.name },
    });
    return presentPipeline(row);
  }

  async list(actor: Actor, projectId: string, query: PageQuery) {
    await this.access.require(actor, projectId, 'read');
    const limit = pageSize(query);
    const rows = await this.prisma.pipeline.findMany({
      where: { projectId, deletedAt: null, ...afterCursor(query.cursor) },
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, presentPipeline);
  }

  async get(actor: Actor, projectId: string, pipelineId: string) {
    await this.access.require(actor, projectId, 'read');
    return presentPipeline(await this.find(projectId, pipelineId));
  }

  async update(actor: Actor, projectId: string, pipelineId: string, dto: UpdatePipelineDto) {
    await this.access.require(actor, projectId, 'write');
    await this.find(projectId, pipelineId);
    const data: Prisma.PipelineUpdateInput = {};
    if (dto.yaml_config !== undefined) {
      data.yamlConfig = dto.yaml_config;
      // A repository definition's schedule is read by the scheduler (scheduleReadAt null: read it).
      Object.assign(
        data,
        scheduleOf(dto.yaml_config === null ? null : requireValidDefinition(dto.yaml_config)),
      );
    }
    if (dto.name !== undefined) {
      await this.assertNameFree(projectId, dto.name, pipelineId);
      data.name = dto.name;
    }
    if (dto.description !== undefined) data.description = dto.description;
    if (dto.config_path !== undefined) data.configPath = dto.config_path;
    if (dto.yaml_config === null || dto.config_path !== undefined) data.scheduleReadAt = null;
    if (dto.cancel_previous !== undefined) data.cancelPrevious = dto.cancel_previous;
    const row = await this.prisma.pipeline
      .update({ where: { id: pipelineId }, data })
      .catch(clashToConflict(dto.name ?? ''));
    await this.audit.record(actor, {
      action: 'pipeline.update',
      targetType: 'pipeline',
      targetId: pipelineId,
      projectId,
      details: { changed: Object.keys(dto) },
    });
    return presentPipeline(row);
  }

  /** Soft delete: its runs stay readable; the name is freed for a new pipeline. */
  async remove(actor: Actor, projectId: string, pipelineId: string): Promise<void> {
    await this.access.require(actor, projectId, 'write');
    const pipeline = await this.find(projectId, pipelineId);
    await this.prisma.pipeline.update({
      where: { id: pipelineId },
      data: {
        deletedAt: new Date(),
        name: `${pipeline.name}~deleted~${pipelineId}`,
        scheduleCron: null,
        nextScheduleAt: null,
      },
    });
    await this.audit.record(actor, {
      action: 'pipeline.delete',
      targetType: 'pipeline',
      targetId: pipelineId,
      projectId,
      details: { name: pipeline.name },
    });
  }

  /** A live pipeline of that project, or 404 (ids of other projects' pipelines do not exist here). */
  async find(projectId: string, pipelineId: string): Promise<Pipeline> {
    const row = await this.prisma.pipeline.findFirst({
      where: { id: pipelineId, projectId, deletedAt: null },
    });
    if (!row) throw new NotFoundError(`pipeline ${pipelineId} not found`);
    return row;
  }

  private async assertNameFree(projectId: string, name: string, exceptId?: string): Promise<void> {
    const clash = await this.prisma.pipeline.findUnique({
      where: { projectId_name: { projectId, name } },
      select: { id: true },
    });
    if (clash && clash.id !== exceptId)
      throw new ConflictError(`the project already has a pipeline named "${name}"`);
  }
}

function clashToConflict(name: string) {
  return (error: unknown): never => {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new ConflictError(`the project already has a pipeline named "${name}"`);
    }
    throw error;
  };
}

export function presentPipeline(p: Pipeline) {
  return {
    id: p.id,
    project_id: p.projectId,
    name: p.name,
    description: p.description,
    source: p.yamlConfig === null ? 'repository' : 'inline',
    yaml_config: p.yamlConfig,
    config_path: p.configPath,
    cancel_previous: p.cancelPrevious,
    schedule_cron: p.scheduleCron,
    next_schedule_at: p.nextScheduleAt?.toISOString() ?? null,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}
