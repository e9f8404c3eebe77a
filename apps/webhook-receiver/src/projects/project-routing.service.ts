import { WebhookRepository } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { WebhookTargetNotFoundError } from '../http/webhook.errors';
import { repositoryKey } from './repo-url';
import { TargetProject } from './webhook-target';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PIPELINE_FIELDS = {
  id: true,
  projectId: true,
  name: true,
  yamlConfig: true,
  configPath: true,
  createdAt: true,
  updatedAt: true,
} as const;

/** Finds the projects (and their live pipelines) a delivery is addressed to. */
@Injectable()
export class ProjectRoutingService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Projects whose `repo_full_name` is the repository's, or whose `repo_url` names the same
   * host and path as one of the URLs the provider reported (https, ssh, git and scp forms alike).
   * One query on the hot path of every delivery: projects with their live pipelines, joined.
   */
  async byRepository(repository: WebhookRepository): Promise<TargetProject[]> {
    const fullName = repository.fullName.toLowerCase();
    const rows = await this.prisma.$queryRaw<RepositoryRow[]>`
      SELECT p.id, p.name, p.repo_url AS "repoUrl", p.repo_full_name AS "repoFullName",
             p.webhook_secret_enc AS "webhookSecretEnc", pl.id AS "pipelineId", pl.name AS "pipelineName",
             pl.yaml_config AS "yamlConfig", pl.config_path AS "configPath",
             pl.created_at AS "createdAt", pl.updated_at AS "updatedAt"
        FROM projects p
        LEFT JOIN pipelines pl ON pl.project_id = p.id AND pl.deleted_at IS NULL
       WHERE lower(p.repo_full_name) = ${fullName} OR strpos(lower(p.repo_url), ${fullName}) > 0
       ORDER BY p.created_at, p.id, pl.created_at, pl.id`;
    const keys = new Set(repository.cloneUrls.map(repositoryKey));
    return groupProjects(rows).filter((project) => {
      const key = repositoryKey(project.repoUrl);
      return project.repoFullName?.toLowerCase() === fullName || (key !== undefined && keys.has(key));
    });
  }

  /** The project of one pipeline, with only that pipeline; 404 when it does not exist or was deleted. */
  async byPipeline(pipelineId: string): Promise<TargetProject> {
    const pipeline = UUID.test(pipelineId)
      ? await this.prisma.pipeline.findFirst({
          where: { id: pipelineId, deletedAt: null },
          select: { ...PIPELINE_FIELDS, project: { select: { id: true, name: true, webhookSecretEnc: true } } },
        })
      : null;
    if (!pipeline) throw new WebhookTargetNotFoundError(`pipeline ${pipelineId} not found`);
    const { project, ...fields } = pipeline;
    return { ...project, pipelines: [fields] };
  }
}

interface RepositoryRow {
  id: string;
  name: string;
  repoUrl: string;
  repoFullName: string | null;
  webhookSecretEnc: string | null;
  pipelineId: string | null;
  pipelineName: string | null;
  yamlConfig: string | null;
  configPath: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

function groupProjects(rows: RepositoryRow[]): (TargetProject & { repoUrl: string; repoFullName: string | null })[] {
  const projects = new Map<string, TargetProject & { repoUrl: string; repoFullName: string | null }>();
  for (const row of rows) {
    let project = projects.get(row.id);
    if (!project) {
      const { id, name, repoUrl, repoFullName, webhookSecretEnc } = row;
      project = { id, name, repoUrl, repoFullName, webhookSecretEnc, pipelines: [] };
      projects.set(row.id, project);
    }
    if (row.pipelineId === null) continue;
    project.pipelines.push({
      id: row.pipelineId,
      projectId: row.id,
      name: row.pipelineName!,
      yamlConfig: row.yamlConfig,
      configPath: row.configPath!,
      createdAt: row.createdAt!,
      updatedAt: row.updatedAt!,
    });
  }
  return [...projects.values()];
}
