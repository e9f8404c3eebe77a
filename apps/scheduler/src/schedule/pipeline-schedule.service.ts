import { Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { nextScheduleTime } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';

/**
 * Cron triggers (`on.schedule`): each due pipeline is claimed with a conditional update of
 * its next fire time, so with several scheduler replicas exactly one starts the run.
 */
@Injectable()
export class PipelineScheduleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PipelineScheduleService.name);
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<unknown>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.fireDue()
        .catch((error: unknown) => this.logger.error({ error: String(error) }, 'schedule tick failed'))
        .finally(() => (this.ticking = undefined));
    }, durationMs(this.config.KILN_SCHEDULE_INTERVAL));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  /** Keeps a pipeline's cron in step with its definition (called when a run reads it). */
  async sync(pipelineId: string, cron: string | undefined, now = new Date()): Promise<void> {
    const pipeline = await this.prisma.pipeline.findUnique({ where: { id: pipelineId } });
    if (!pipeline || (pipeline.scheduleCron ?? undefined) === cron) return;
    await this.prisma.pipeline.update({
      where: { id: pipelineId },
      data: { scheduleCron: cron ?? null, nextScheduleAt: cron ? nextScheduleTime(cron, now) : null },
    });
  }

  async fireDue(now = new Date()): Promise<number> {
    const due = await this.prisma.pipeline.findMany({
      where: { nextScheduleAt: { lte: now }, scheduleCron: { not: null }, deletedAt: null },
      include: { project: true },
      take: 100,
    });
    let fired = 0;
    for (const pipeline of due) {
      const claimed = await this.prisma.pipeline.updateMany({
        where: { id: pipeline.id, nextScheduleAt: pipeline.nextScheduleAt },
        data: { nextScheduleAt: nextScheduleTime(pipeline.scheduleCron!, now) },
      });
      if (claimed.count === 0) continue;
      const branch = pipeline.project.defaultBranch;
      await this.messaging.publish(
        Subjects.RunRequested,
        {
          version: 1,
          runId: randomUUID(),
          projectId: pipeline.projectId,
          pipelineId: pipeline.id,
          trigger: 'schedule',
          triggeredBy: 'schedule',
          event: 'schedule',
          gitRef: `refs/heads/${branch}`,
          branch,
          applyTriggerFilters: false,
          requestedAt: now.toISOString(),
        },
        { msgId: `schedule:${pipeline.id}:${pipeline.nextScheduleAt!.toISOString()}` },
      );
      fired += 1;
      this.logger.log({ pipelineId: pipeline.id, cron: pipeline.scheduleCron }, 'scheduled run requested');
    }
    return fired;
  }
}
