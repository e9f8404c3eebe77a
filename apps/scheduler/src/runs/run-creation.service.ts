import { RunRequestedEvent, Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { DagNode, matchesMergeRequest, matchesPush } from '@kiln/definition';
import { UNFINISHED_RUN_STATUSES } from '@kiln/engine';
import { MessagingService } from '@kiln/messaging';
import { Injectable, Logger } from '@nestjs/common';
import { CommitStatusService } from '../outcomes/commit-status.service';
import { RunOutcomeService } from '../outcomes/run-outcome.service';
import { PipelineScheduleService } from '../schedule/pipeline-schedule.service';
import { RunStateService } from '../state/run-state.service';
import { DefinitionLoaderService, LoadedDefinition } from './definition-loader.service';
import { decodeSnapshot } from './definition-snapshot';
import { newRunRow, newStepRows, ReusedStep, RunOrigin } from './new-run';
import { reusedStepNames } from './reused-steps';
import { insertRun, readRunSource } from './run-creation-rows';
import { storableText } from './unstorable-value';

const UNSTORABLE_REASON =
  'the run request could not be stored: its ref, branch, author or definition holds characters the database refuses, such as a NUL byte';

/** GitHub Actions and Woodpecker's rule: a fork's code gets no secrets unless the project says so. */
function forkWithholding(secretsForForks: boolean): RunOrigin {
  if (secretsForForks) return { fromFork: true };
  return {
    fromFork: true,
    secretsWithheld:
      'the pull request comes from a fork, and the project does not give forks its secrets or deployments (secrets_for_forks is off)',
  };
}

/**
 * Turns a run request into a run with its steps, exactly once per run id. Creating is not changing
 * state: this service inserts the first rows (a queued run with pending or reused steps, or a run
 * failed because its definition could not be had) and never updates a run or step afterwards;
 * every change after the insert is an event for RunStateService, the one writer.
 */
@Injectable()
export class RunCreationService {
  private readonly logger = new Logger(RunCreationService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    private readonly loader: DefinitionLoaderService,
    private readonly state: RunStateService,
    private readonly outcomes: RunOutcomeService,
    private readonly statuses: CommitStatusService,
    private readonly schedules: PipelineScheduleService,
  ) {}

  async handle(request: RunRequestedEvent): Promise<void> {
    // Both reads in one statement: a new run waits for one round trip to the database.
    const { runExists, pipeline } = await readRunSource(this.prisma.pool, request.runId, request.pipelineId);
    if (runExists) {
      // Redelivered request: the run exists; make sure its ready steps were dispatched.
      await this.state.advance(request.runId);
      return;
    }
    if (!pipeline || pipeline.projectId !== request.projectId || pipeline.deleted) {
      this.logger.warn({ runId: request.runId, pipelineId: request.pipelineId }, 'run requested for an unknown pipeline');
      return;
    }
    const loaded = request.retryOfId
      ? await this.loadRetried(request.retryOfId)
      : await this.loader.load(
          { projectId: pipeline.projectId, repoUrl: pipeline.repoUrl, yamlConfig: pipeline.yamlConfig, configPath: pipeline.configPath },
          request.gitRef,
          request.commitSha || undefined,
        );
    // Before the trigger filters: a definition with only `on.schedule` turns every push away, and
    // reading it from the default branch is still how its schedule becomes known. A retry runs an
    // old snapshot and a merge request's branch may be a fork's: neither may change the schedule.
    const current =
      pipeline.yamlConfig !== null ||
      (request.branch === pipeline.defaultBranch && request.event !== 'merge_request');
    // Not decided on the row read above: loading may take seconds (a fetch), and the schedule sweep
    // may have written the row meanwhile. sync reads it again and writes only a change.
    if (loaded.ok && current && !request.retryOfId) await this.schedules.sync(pipeline.id, loaded.definition.on.schedule);
    if (loaded.ok && request.applyTriggerFilters) {
      const match = request.event === 'merge_request'
        ? matchesMergeRequest(loaded.definition.on, request.mrAction ?? '')
        : matchesPush(loaded.definition.on, { branch: request.branch, tag: request.tag });
      if (!match.matched) {
        await this.recordFilteredDelivery(request, match.reason);
        return;
      }
    }
    const fromFork = request.retryOfId ? await this.retriedFromFork(request.retryOfId) : request.fromFork === true;
    await this.create(request, loaded, fromFork ? forkWithholding(pipeline.secretsForForks) : { fromFork });
    if (!loaded.ok) {
      await this.outcomes.runFinished(request.runId);
      return;
    }
    if (pipeline.cancelPrevious && request.branch) await this.cancelSuperseded(request);
    // A provider outage must not hold up the run; the final status is retried by the notifier.
    this.statuses
      .report(request.runId, 'pending')
      .catch((error: unknown) => this.logger.warn({ runId: request.runId, error: String(error) }, 'pending status not reported'));
    await this.state.advance(request.runId);
  }

  /** `cancel_previous`: a new run on a branch cancels the older unfinished ones. */
  private async cancelSuperseded(request: RunRequestedEvent): Promise<void> {
    const older = await this.prisma.run.findMany({
      where: {
        pipelineId: request.pipelineId,
        branch: request.branch,
        id: { not: request.runId },
        status: { in: [...UNFINISHED_RUN_STATUSES] },
      },
      select: { id: true },
    });
    for (const run of older) {
      await this.messaging.publish(
        Subjects.RunCancel,
        { version: 1, runId: run.id, requestedBy: 'kiln', reason: `superseded by run ${request.runId}` },
        { msgId: `cancel:${run.id}:superseded` },
      );
    }
  }

  private async loadRetried(retryOfId: string): Promise<LoadedDefinition> {
    const original = await this.prisma.run.findUnique({ where: { id: retryOfId } });
    if (!original) return { ok: false, commitSha: null, error: `run ${retryOfId} to retry does not exist` };
    const definition = decodeSnapshot(original.definition);
    if (!definition || !original.commitSha) {
      return { ok: false, commitSha: original.commitSha, error: `run ${retryOfId} never had a valid definition: ${original.error ?? ''}` };
    }
    return { ok: true, commitSha: original.commitSha, definition };
  }

  // A retry of a fork's run is still the fork's code.
  private async retriedFromFork(retryOfId: string): Promise<boolean> {
    const original = await this.prisma.run.findUnique({ where: { id: retryOfId }, select: { fromFork: true } });
    return original?.fromFork ?? false;
  }

  private async create(request: RunRequestedEvent, loaded: LoadedDefinition, origin: RunOrigin): Promise<void> {
    const steps = loaded.ok ? newStepRows(loaded.definition, await this.reusedSteps(request, loaded.definition.steps)) : [];
    const now = new Date();
    await insertRun(this.prisma.pool, newRunRow(request, loaded, origin, now), steps, now);
    this.logger.log({ runId: request.runId, projectId: request.projectId, ok: loaded.ok }, 'run created');
  }

  /**
   * A request the database refuses (a NUL byte in a ref or an author name) would be redelivered
   * until dead-lettered, and no run would ever appear: it becomes a failed run that says why.
   */
  async recordUnstorable(request: RunRequestedEvent): Promise<void> {
    if (await this.prisma.run.findUnique({ where: { id: request.runId }, select: { id: true } })) return;
    const storable = {
      ...request,
      gitRef: storableText(request.gitRef),
      branch: storableText(request.branch),
      tag: storableText(request.tag),
      triggeredBy: storableText(request.triggeredBy),
    };
    await this.create(storable, { ok: false, commitSha: null, error: UNSTORABLE_REASON }, { fromFork: request.fromFork === true });
    await this.outcomes.runFinished(request.runId);
  }

  /** The retried run's steps whose results the new run keeps, by name. */
  private async reusedSteps(request: RunRequestedEvent, steps: readonly DagNode[]): Promise<Map<string, ReusedStep>> {
    if (!request.retryOfId) return new Map();
    const succeeded = await this.prisma.step.findMany({ where: { runId: request.retryOfId, status: 'succeeded' } });
    const names = reusedStepNames(request, steps, new Set(succeeded.map((s) => s.name)));
    return new Map(succeeded.filter((s) => names.has(s.name)).map((s) => [s.name, s]));
  }

  private async recordFilteredDelivery(request: RunRequestedEvent, reason: string): Promise<void> {
    this.logger.log({ runId: request.runId, reason }, 'run not started: trigger filters do not match');
    if (!request.deliveryId) return;
    await this.prisma.webhookDelivery.updateMany({
      where: { id: request.deliveryId, runId: request.runId },
      data: { status: 'ignored', reason: `pipeline ${request.pipelineId}: ${reason}`, runId: null },
    });
  }
}
