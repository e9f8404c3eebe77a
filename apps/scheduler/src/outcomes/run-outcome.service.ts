import { Subjects } from '@kiln/contracts';
import { PrismaService, Run, Step } from '@kiln/db';
import { MessagingService } from '@kiln/messaging';
import { Injectable, Logger } from '@nestjs/common';
import { decodeSnapshot } from '../runs/definition-snapshot';

/**
 * What follows a finished run: `kiln.run.finished` (executors collect artifacts and remove
 * the workspace) and, after a successful image build, the deployment hand-off.
 * Safe to call twice for one run: message ids de-duplicate and the deployment is an upsert.
 */
@Injectable()
export class RunOutcomeService {
  private readonly logger = new Logger(RunOutcomeService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
  ) {}

  /** `known`: the run and its steps as its writer just committed them, which spares reading them again. */
  async runFinished(runId: string, known?: Run & { steps: Step[] }): Promise<void> {
    const run =
      known ??
      (await this.prisma.run.findUniqueOrThrow({
        where: { id: runId },
        include: { steps: { orderBy: { position: 'asc' } } },
      }));
    if (run.status !== 'succeeded' && run.status !== 'failed' && run.status !== 'cancelled') return;
    const definition = decodeSnapshot(run.definition);
    await this.messaging.publish(
      Subjects.RunFinished,
      {
        version: 1,
        runId,
        projectId: run.projectId,
        status: run.status,
        artifacts: (definition?.artifacts ?? []).map((a) => ({
          name: a.name,
          path: a.path,
          expiresMs: a.expiresMs,
          ...(a.report && { report: a.report }),
        })),
        finishedAt: (run.finishedAt ?? new Date()).toISOString(),
      },
      { msgId: `run-finished:${runId}` },
    );
    this.logger.log({ runId, status: run.status, number: run.number }, 'run finished');
    // Only build steps may deploy (the definition refuses `deploy` elsewhere); the image handed
    // over is the one the step pushed, pinned by the digest the registry answered.
    const deploying = run.steps.find((s) => s.status === 'succeeded' && s.deploy);
    if (!deploying || run.status !== 'succeeded') return;
    if (run.secretsWithheld) {
      this.logger.log({ runId, reason: run.secretsWithheld }, 'deployment not handed off');
      return;
    }
    if (!deploying.imageDigest) {
      this.logger.warn({ runId, step: deploying.name }, 'deployment not handed off: the build step reported no pushed image');
      return;
    }
    await this.handOffDeployment(run, deploying.imageDigest);
  }

  private async handOffDeployment(run: { id: string; projectId: string }, imageRef: string) {
    await this.prisma.deployment.upsert({
      where: { projectId: run.projectId },
      create: { projectId: run.projectId, imageRef, desiredStatus: 'active', runId: run.id },
      update: { imageRef, desiredStatus: 'active', runId: run.id },
    });
    await this.messaging.publish(
      Subjects.DeploymentUpdated,
      { version: 1, projectId: run.projectId, runId: run.id, imageRef, desiredStatus: 'active' },
      { msgId: `deployment:${run.id}` },
    );
    this.logger.log({ runId: run.id, imageRef }, 'deployment handed off');
  }
}
