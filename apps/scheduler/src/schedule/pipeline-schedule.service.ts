import { Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { nextScheduleTime } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { DefinitionLoaderService } from '../runs/definition-loader.service';
import { claimDueSchedule, dueSchedules, markScheduleRead, syncSchedule, unreadSchedules } from './pipeline-schedule-rows';

/** Repository definitions read per tick: each is a fetch of the default branch. */
const READS_PER_TICK = 10;

/**
 * Cron triggers (`on.schedule`): each due pipeline is claimed with a conditional update of
 * its next fire time, so with several scheduler replicas exactly one starts the run. A definition
 * read from the repository has its schedule read from the default branch on the first tick after
 * the pipeline is created or its source changes, and again by every run on the default branch.
 */
@Injectable()
export class PipelineScheduleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PipelineScheduleService.name);
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<unknown>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    private readonly loader: DefinitionLoaderService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.readNewSchedules()
        .then(() => this.fireDue())
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
    await syncSchedule(this.prisma.pool, pipelineId, { cron: cron ?? null, nextScheduleAt: cron ? nextScheduleTime(cron, now) : null }, now);
  }

  /**
   * Reads the schedule of repository definitions not read since they were created or their source
   * changed. A definition that cannot be read is marked read all the same (a repository that stays
   * unreachable must not cost a fetch every tick): the next run on the default branch reads it.
   */
  async readNewSchedules(now = new Date()): Promise<number> {
    const unread = await unreadSchedules(this.prisma.pool, READS_PER_TICK);
    for (const pipeline of unread) {
      const { project } = pipeline;
      const loaded = await this.loader.load(
        { projectId: project.id, repoUrl: project.repoUrl, yamlConfig: null, configPath: pipeline.configPath },
        `refs/heads/${project.defaultBranch}`,
        undefined,
      );
      if (!loaded.ok) this.logger.warn({ pipelineId: pipeline.id, error: loaded.error }, 'schedule not read');
      const cron = loaded.ok ? (loaded.definition.on.schedule ?? null) : pipeline.scheduleCron;
      const changed = cron !== pipeline.scheduleCron;
      // Only if nobody changed the pipeline meanwhile: a new source is read on the next tick.
      await markScheduleRead(
        this.prisma.pool,
        pipeline,
        now,
        changed ? { cron, nextScheduleAt: cron ? nextScheduleTime(cron, now) : null } : undefined,
      );
      if (changed) this.logger.log({ pipelineId: pipeline.id, cron }, 'schedule read from the default branch');
    }
    return unread.length;
  }

  async fireDue(now = new Date()): Promise<number> {
    const due = await dueSchedules(this.prisma.pool, now, 100);
    let fired = 0;
    for (const pipeline of due) {
      if (!(await claimDueSchedule(this.prisma.pool, pipeline, nextScheduleTime(pipeline.scheduleCron, now), now))) continue;
      const branch = pipeline.defaultBranch;
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
        { msgId: `schedule:${pipeline.id}:${pipeline.nextScheduleAt.toISOString()}` },
      );
      fired += 1;
      this.logger.log({ pipelineId: pipeline.id, cron: pipeline.scheduleCron }, 'scheduled run requested');
    }
    return fired;
  }
}
