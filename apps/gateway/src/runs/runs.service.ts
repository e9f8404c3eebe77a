import { PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { NotFoundError } from '../common/errors';
import { afterCursor, NEWEST_FIRST, pageSize, toPage } from '../common/pagination';
import { approvalDecisions } from './approval-decisions';
import { presentRun, RunWithSteps, STEPS_IN_ORDER } from './run.presenter';
import { runFilters } from './run-filters';
import { AllRunsQuery, RunsQuery } from './runs.dto';

/** Reading runs: per project, across the caller's projects, one with its steps. */
@Injectable()
export class RunsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
  ) {}

  async listOfProject(actor: Actor, projectId: string, query: RunsQuery) {
    await this.access.require(actor, projectId, 'read');
    return this.page({ projectId }, query);
  }

  async listAll(actor: Actor, query: AllRunsQuery) {
    const readable = await this.access.readableProjectIds(actor);
    const scope = readable === null ? {} : { projectId: { in: readable } };
    // A project_id the caller cannot read simply yields nothing, like any other filter.
    return this.page({ AND: [scope, query.project_id ? { projectId: query.project_id } : {}] }, query);
  }

  async get(actor: Actor, projectId: string, runId: string) {
    await this.access.require(actor, projectId, 'read');
    const run = await this.find(projectId, runId);
    return {
      ...presentRun(run),
      queue_position: await this.queuePosition(run),
      approvals: await approvalDecisions(this.prisma, run),
    };
  }

  /**
   * Where a queued run waits: 1 + the queued runs created before it that compete for the same
   * slots (its project's when the project has a concurrency limit, every project's otherwise).
   */
  private async queuePosition(run: RunWithSteps): Promise<number | null> {
    if (run.status !== 'queued') return null;
    const project = await this.prisma.project.findUnique({
      where: { id: run.projectId },
      select: { concurrencyLimit: true },
    });
    const ahead = await this.prisma.run.count({
      where: {
        status: 'queued',
        createdAt: { lt: run.createdAt },
        ...(project?.concurrencyLimit ? { projectId: run.projectId } : {}),
      },
    });
    return ahead + 1;
  }

  async find(projectId: string, runId: string): Promise<RunWithSteps> {
    const run = await this.prisma.run.findFirst({ where: { id: runId, projectId }, include: STEPS_IN_ORDER });
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  private async page(where: object, query: RunsQuery) {
    const limit = pageSize(query);
    const rows = await this.prisma.run.findMany({
      where: { AND: [where, runFilters(query), afterCursor(query.cursor)] },
      include: STEPS_IN_ORDER,
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    return toPage(rows, limit, presentRun);
  }
}
