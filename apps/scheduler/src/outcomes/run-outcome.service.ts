import { Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { PipelineDefinition } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';

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
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  async runFinished(runId: string): Promise<void> {
    const run = await this.prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { steps: true, project: true } });
    if (run.status !== 'succeeded' && run.status !== 'failed' && run.status !== 'cancelled') return;
    const definition = run.definition as unknown as PipelineDefinition | null;
    await this.messaging.publish(
      Subjects.RunFinished,
      {
        version: 1,
        runId,
        projectId: run.projectId,
        status: run.status,
        artifacts: (definition?.artifacts ?? []).map((a) => ({ name: a.name, path: a.path, expiresMs: a.expiresMs })),
        finishedAt: (run.finishedAt ?? new Date()).toISOString(),
      },
      { msgId: `run-finished:${runId}` },
    );
    this.logger.log({ runId, status: run.status, number: run.number }, 'run finished');
    const builtImage = run.steps.some((s) => s.status === 'succeeded' && (s.deploy || s.image.includes('kaniko')));
    if (run.secretsWithheld) {
      if (builtImage) this.logger.log({ runId, reason: run.secretsWithheld }, 'deployment not handed off');
      return;
    }
    if (run.status === 'succeeded' && builtImage && run.commitSha) await this.handOffDeployment(run);
  }

  private async handOffDeployment(run: { id: string; projectId: string; commitSha: string | null; project: { name: string } }) {
    const imageRef = `${this.config.KILN_REGISTRY}/${run.project.name}:${run.commitSha}`;
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
