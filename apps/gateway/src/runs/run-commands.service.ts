import { RunRequestedEvent, StepDecidedEvent, Subjects } from '@kiln/contracts';
import { PrismaService, Run } from '@kiln/db';
import { isTerminalRun } from '@kiln/engine';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { ConflictError, NotFoundError } from '@kiln/errors';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { PipelinesService } from '../pipelines/pipelines.service';
import { GitRefService } from './git-ref.service';
import { presentRun, STEPS_IN_ORDER } from './run.presenter';
import { RunsService } from './runs.service';

const POLL_MS = 100;

/** A retry shows the commit its original run showed. */
function commitInfoOf(run: Pick<Run, 'commitMessage' | 'commitAuthor' | 'pullRequestUrl'>): Partial<RunRequestedEvent> {
  return {
    ...(run.commitMessage === null ? {} : { commitMessage: run.commitMessage }),
    ...(run.commitAuthor === null ? {} : { commitAuthor: run.commitAuthor }),
    ...(run.pullRequestUrl === null ? {} : { pullRequestUrl: run.pullRequestUrl }),
  };
}

/** What a run request answers: the run (201) once the scheduler created it, else its id (202). */
export type RunAccepted =
  { created: true; run: ReturnType<typeof presentRun> } | { created: false; run: object };

/** Starting, cancelling and retrying runs: requests to the scheduler over NATS, never direct writes. */
@Injectable()
export class RunCommandsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    private readonly access: ProjectAccessService,
    private readonly pipelines: PipelinesService,
    private readonly runs: RunsService,
    private readonly refs: GitRefService,
    private readonly audit: AuditService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async start(
    actor: Actor,
    projectId: string,
    pipelineId: string,
    gitRef: string,
    variables?: Record<string, string>,
  ): Promise<RunAccepted> {
    const { project } = await this.access.require(actor, projectId, 'write');
    await this.pipelines.find(projectId, pipelineId);
    const kind = await this.refs.classify(project.repoUrl, gitRef);
    const request = this.request(actor, projectId, pipelineId, {
      trigger: 'manual',
      event: 'manual',
      gitRef,
      ...kind,
      ...(variables && Object.keys(variables).length > 0 ? { variables } : {}),
    });
    await this.messaging.publish(Subjects.RunRequested, request, { msgId: `run-requested:${request.runId}` });
    await this.audit.record(actor, {
      action: 'run.create',
      targetType: 'run',
      targetId: request.runId,
      projectId,
      // Names only: a value may be something its user would rather not see in the audit log.
      details: { pipeline_id: pipelineId, git_ref: gitRef, variables: Object.keys(variables ?? {}) },
    });
    return this.awaitCreation(request);
  }

  async retry(actor: Actor, projectId: string, runId: string, failedOnly: boolean): Promise<RunAccepted> {
    await this.access.require(actor, projectId, 'write');
    const original = await this.runs.find(projectId, runId);
    if (!isTerminalRun(original.status))
      throw new ConflictError(`run ${runId} is still ${original.status}; retry it once it has finished`);
    const request = this.request(actor, projectId, original.pipelineId, {
      trigger: 'retry',
      event: 'retry',
      gitRef: original.gitRef,
      branch: original.branch ?? undefined,
      tag: original.tag ?? undefined,
      commitSha: original.commitSha ?? undefined,
      ...commitInfoOf(original),
      retryOfId: original.id,
      failedOnly,
    });
    await this.messaging.publish(Subjects.RunRequested, request, { msgId: `run-requested:${request.runId}` });
    await this.audit.record(actor, {
      action: 'run.retry',
      targetType: 'run',
      targetId: request.runId,
      projectId,
      details: { retry_of: runId, failed_only: failedOnly },
    });
    return this.awaitCreation(request);
  }

  /**
   * A new run of a finished run's commit and definition that runs one step and its dependants
   * again and reuses every other step that succeeded.
   */
  async rerunStep(actor: Actor, projectId: string, runId: string, stepId: string): Promise<RunAccepted> {
    await this.access.require(actor, projectId, 'write');
    const original = await this.runs.find(projectId, runId);
    const step = original.steps.find((s) => s.id === stepId);
    if (!step) throw new NotFoundError(`step ${stepId} not found`);
    if (!isTerminalRun(original.status))
      throw new ConflictError(`run ${runId} is still ${original.status}; rerun its steps once it has finished`);
    const request = this.request(actor, projectId, original.pipelineId, {
      trigger: 'retry',
      event: 'retry',
      gitRef: original.gitRef,
      branch: original.branch ?? undefined,
      tag: original.tag ?? undefined,
      commitSha: original.commitSha ?? undefined,
      ...commitInfoOf(original),
      retryOfId: original.id,
      rerunStep: step.name,
    });
    await this.messaging.publish(Subjects.RunRequested, request, { msgId: `run-requested:${request.runId}` });
    await this.audit.record(actor, {
      action: 'step.rerun',
      targetType: 'step',
      targetId: stepId,
      projectId,
      details: { run_id: runId, step: step.name, new_run_id: request.runId },
    });
    return this.awaitCreation(request);
  }

  /** The scheduler stops running steps and cancels the rest; the answer comes before it has. */
  async cancel(actor: Actor, projectId: string, runId: string, reason: string | undefined) {
    await this.access.require(actor, projectId, 'write');
    const run = await this.runs.find(projectId, runId);
    if (isTerminalRun(run.status))
      throw new ConflictError(`run ${runId} already ${run.status}; nothing to cancel`);
    await this.messaging.publish(
      Subjects.RunCancel,
      { version: 1, runId, requestedBy: actor.userName, reason: reason ?? `cancelled by ${actor.userName}` },
      { msgId: `cancel:${runId}` },
    );
    await this.audit.record(actor, {
      action: 'run.cancel',
      targetType: 'run',
      targetId: runId,
      projectId,
      details: { reason: reason ?? null },
    });
    return { id: runId, status: run.status, cancel_requested: true };
  }

  /** Approves or rejects a waiting approval step; the scheduler applies it, after this answer. */
  async decide(actor: Actor, projectId: string, runId: string, stepId: string, approved: boolean, comment: string | undefined) {
    await this.access.require(actor, projectId, 'write');
    const run = await this.runs.find(projectId, runId);
    const step = run.steps.find((s) => s.id === stepId);
    if (!step) throw new NotFoundError(`step ${stepId} not found`);
    if (step.status !== 'waiting')
      throw new ConflictError(`step "${step.name}" is ${step.status}; only a waiting approval step can be approved or rejected`);
    const event: StepDecidedEvent = { version: 1, runId, stepId, approved, decidedBy: actor.userName, ...(comment ? { comment } : {}) };
    await this.messaging.publish(Subjects.StepDecided, event, { msgId: `decided:${stepId}` });
    await this.audit.record(actor, {
      action: approved ? 'step.approve' : 'step.reject',
      targetType: 'step',
      targetId: stepId,
      projectId,
      details: { run_id: runId, step: step.name, comment: comment ?? null },
    });
    return { id: stepId, run_id: runId, name: step.name, approved, decision_requested: true };
  }

  private request(
    actor: Actor,
    projectId: string,
    pipelineId: string,
    fields: Partial<RunRequestedEvent>,
  ): RunRequestedEvent {
    return {
      version: 1,
      runId: randomUUID(),
      projectId,
      pipelineId,
      triggeredBy: actor.userName,
      applyTriggerFilters: false,
      requestedAt: new Date().toISOString(),
      ...fields,
    } as RunRequestedEvent;
  }

  /** The scheduler creates the row; waiting briefly lets the answer be the run itself. */
  private async awaitCreation(request: RunRequestedEvent): Promise<RunAccepted> {
    const deadline = Date.now() + this.config.KILN_RUN_CREATE_WAIT_MS;
    do {
      const run = await this.prisma.run.findUnique({ where: { id: request.runId }, include: STEPS_IN_ORDER });
      if (run) return { created: true, run: presentRun(run) };
      await sleep(POLL_MS);
    } while (Date.now() < deadline);
    return {
      created: false,
      run: {
        id: request.runId,
        status: 'queued',
        project_id: request.projectId,
        pipeline_id: request.pipelineId,
        git_ref: request.gitRef,
      },
    };
  }
}
