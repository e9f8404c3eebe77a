import { countRuns, Prisma, PrismaService, sumTestSummaries, TestSummary } from '@kiln/db';
import { competition, queuePosition } from '@kiln/engine';
import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { NotFoundError } from '@kiln/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { pageSize, toPage } from '../common/pagination';
import { approvalDecisions } from './approval-decisions';
import { presentRun, RunWithSteps, STEPS_IN_ORDER } from './run.presenter';
import { runPage, RunScope } from './run-page-rows';
import { AllRunsQuery, RunsQuery } from './runs.dto';

/** Reading runs: per project, across the caller's projects, one with its steps. */
@Injectable()
export class RunsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async listOfProject(actor: Actor, projectId: string, query: RunsQuery) {
    await this.access.require(actor, projectId, 'read');
    return this.page({ projectId }, query);
  }

  async listAll(actor: Actor, query: AllRunsQuery) {
    // A project_id the caller cannot read simply yields nothing, like any other filter.
    return this.page({ projectIds: await this.access.readableProjectIds(actor) }, query);
  }

  async get(actor: Actor, projectId: string, runId: string) {
    await this.access.require(actor, projectId, 'read');
    const run = await this.find(projectId, runId);
    return {
      ...presentRun(run),
      queue_position: await this.queuePosition(run),
      approvals: await approvalDecisions(this.prisma, run),
      test_summary: await this.testSummary(run.id),
    };
  }

  /** The run's JUnit report files, summed (the artifact-service keeps each file's counts). */
  private async testSummary(runId: string): Promise<TestSummary | null> {
    const rows = await this.prisma.artifact.findMany({
      where: { runId, testSummary: { not: Prisma.DbNull } },
      select: { testSummary: true },
    });
    return sumTestSummaries(rows.map((row) => row.testSummary));
  }

  /** Where a queued run waits (1 = next), by the scheduler's admission rule (@kiln/engine). */
  private async queuePosition(run: RunWithSteps): Promise<number | null> {
    if (run.status !== 'queued') return null;
    const project = await this.prisma.project.findUnique({
      where: { id: run.projectId },
      select: { concurrencyLimit: true },
    });
    const limits = {
      maxActive: this.config.KILN_MAX_ACTIVE_RUNS,
      projectLimit: project?.concurrencyLimit ?? null,
    };
    return queuePosition(await competition(countRuns(this.prisma), run, limits));
  }

  async find(projectId: string, runId: string): Promise<RunWithSteps> {
    const run = await this.prisma.run.findFirst({ where: { id: runId, projectId }, include: STEPS_IN_ORDER });
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  private async page(scope: RunScope, query: AllRunsQuery) {
    const limit = pageSize(query);
    return toPage(await runPage(this.prisma.pool, scope, query, limit), limit, presentRun);
  }
}
