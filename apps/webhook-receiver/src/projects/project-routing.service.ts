import { PrismaService } from '@kiln/db';
import { ForgeRepository, repositoryKey } from '@kiln/forge';
import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@kiln/errors';
import { webhookMetrics } from '../metrics/webhook.metrics';
import { TargetProject } from './webhook-target';
import { isUuid } from '@kiln/api-wire';

const CACHE_SIZE = 1000;

/** The projects a delivery is addressed to, as the database had them at one routing version. */
export interface Routing {
  projects: TargetProject[];
  /**
   * `webhook_routing_version` when read (null if its row is missing): the delivery is claimed
   * only while the version is still this one, so a cached routing never outlives a change.
   */
  version: string | null;
  /** Read from memory rather than the database just now. */
  cached: boolean;
}

// Timestamps are stored as UTC without a zone; `AT TIME ZONE 'UTC'` hands pg a zoned value.
const COLUMNS = `
  (SELECT version FROM webhook_routing_version WHERE id = 1)::text AS "routingVersion",
  p.id, p.name, p.repo_url AS "repoUrl", p.repo_full_name AS "repoFullName",
  p.webhook_secret_enc AS "webhookSecretEnc", pl.id AS "pipelineId", pl.name AS "pipelineName",
  pl.yaml_config AS "yamlConfig", pl.config_path AS "configPath",
  pl.created_at AT TIME ZONE 'UTC' AS "createdAt", pl.updated_at AT TIME ZONE 'UTC' AS "updatedAt"`;

const BY_REPOSITORY = {
  name: 'kiln-webhook-route-repository',
  text: `SELECT ${COLUMNS}
           FROM projects p
           LEFT JOIN pipelines pl ON pl.project_id = p.id AND pl.deleted_at IS NULL
          WHERE lower(p.repo_full_name) = $1 OR strpos(lower(p.repo_url), $1) > 0
          ORDER BY p.created_at, p.id, pl.created_at, pl.id`,
};

const BY_PIPELINE = {
  name: 'kiln-webhook-route-pipeline',
  text: `SELECT ${COLUMNS}
           FROM pipelines pl
           JOIN projects p ON p.id = pl.project_id
          WHERE pl.id = $1::uuid AND pl.deleted_at IS NULL`,
};

/**
 * Finds the projects (and their live pipelines) a delivery is addressed to: one query, with the
 * routing version read in the same snapshot. Found routings are kept in memory (at most
 * CACHE_SIZE, all of one version); the delivery ledger checks the version when it claims a
 * delivery and `forget()` drops them all once it has moved on. Misses are never cached: a
 * project created a moment ago is found at once.
 */
@Injectable()
export class ProjectRoutingService {
  private readonly cache = new Map<string, Routing>();
  private version: bigint | undefined;

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Projects whose `repo_full_name` is the repository's, or whose `repo_url` names the same
   * host and path as one of the URLs the provider reported (https, ssh, git and scp forms alike).
   */
  async byRepository(repository: ForgeRepository, fresh: boolean): Promise<Routing> {
    const fullName = repository.fullName.toLowerCase();
    const key = ['repository', fullName, ...repository.cloneUrls].join('\0');
    const cached = fresh ? undefined : this.cached(key);
    if (cached) return cached;
    const rows = await this.query(BY_REPOSITORY.name, BY_REPOSITORY.text, fullName);
    const keys = new Set(repository.cloneUrls.map(repositoryKey));
    const projects = groupProjects(rows).filter((project) => {
      const urlKey = repositoryKey(project.repoUrl);
      return project.repoFullName?.toLowerCase() === fullName || (urlKey !== undefined && keys.has(urlKey));
    });
    return this.remember(key, rows, projects);
  }

  /** The project of one pipeline, with only that pipeline; 404 when it does not exist or was deleted. */
  async byPipeline(pipelineId: string, fresh: boolean): Promise<Routing> {
    if (!isUuid(pipelineId)) throw new NotFoundError(`pipeline ${pipelineId} not found`);
    const key = `pipeline\0${pipelineId.toLowerCase()}`;
    const cached = fresh ? undefined : this.cached(key);
    if (cached) return cached;
    const rows = await this.query(BY_PIPELINE.name, BY_PIPELINE.text, pipelineId);
    if (rows.length === 0) throw new NotFoundError(`pipeline ${pipelineId} not found`);
    return this.remember(key, rows, groupProjects(rows));
  }

  /** Drops every cached routing: the routing version has moved on since they were read. */
  forget(): void {
    webhookMetrics().routing.inc({ source: 'stale' });
    this.cache.clear();
    this.version = undefined;
  }

  private cached(key: string): Routing | undefined {
    const routing = this.cache.get(key);
    if (!routing) return undefined;
    // Least recently used first: a hit moves to the end of the map's order.
    this.cache.delete(key);
    this.cache.set(key, routing);
    webhookMetrics().routing.inc({ source: 'cache' });
    return { ...routing, cached: true };
  }

  private remember(key: string, rows: RoutingRow[], projects: TargetProject[]): Routing {
    const version = rows[0]?.routingVersion ?? null;
    const routing: Routing = { projects, version, cached: false };
    if (projects.length === 0 || version === null) return routing;
    const read = BigInt(version);
    // A read older than what is cached already (two reads crossing a change) is used, not kept.
    if (this.version !== undefined && read < this.version) return routing;
    if (this.version !== read) {
      this.cache.clear();
      this.version = read;
    }
    this.cache.set(key, routing);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return routing;
  }

  private async query(name: string, text: string, value: string): Promise<RoutingRow[]> {
    webhookMetrics().routing.inc({ source: 'database' });
    const { rows } = await this.prisma.pool.query<RoutingRow>({ name, text, values: [value] });
    return rows;
  }
}

interface RoutingRow {
  routingVersion: string | null;
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

type RoutedProject = TargetProject & { repoUrl: string; repoFullName: string | null };

function groupProjects(rows: RoutingRow[]): RoutedProject[] {
  const projects = new Map<string, RoutedProject>();
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
