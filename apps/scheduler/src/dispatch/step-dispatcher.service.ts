import { Subjects } from '@kiln/contracts';
import { SecretBox } from '@kiln/crypto';
import { PrismaService, Step } from '@kiln/db';
import { PipelineDefinition, resolveStepEnvironment } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { registryCredentialsFor } from './registry-credentials';

export interface Undeliverable {
  step: Pick<Step, 'id' | 'attempt'>;
  error: string;
}

/** Publishes `kiln.step.dispatched` for queued steps with their full environment. */
@Injectable()
export class StepDispatcherService {
  private readonly logger = new Logger(StepDispatcherService.name);
  private readonly box: SecretBox;
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {
    this.box = new SecretBox(config.KILN_SECRET_KEY);
    this.defaultTimeoutMs = durationMs(config.KILN_DEFAULT_STEP_TIMEOUT);
  }

  /**
   * Dispatches every queued, not yet started step. Publishing again is harmless: the
   * message id (`dispatch:<step>:<attempt>`) makes JetStream drop the duplicate.
   * Returns the steps that cannot run (e.g. a referenced secret does not exist).
   */
  async dispatch(runId: string, queued: Step[]): Promise<Undeliverable[]> {
    const pending = queued.filter((s) => !s.startedAt);
    if (pending.length === 0) return [];
    const run = await this.prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { project: { include: { secrets: true, registryCredentials: true } } } });
    const definition = run.definition as unknown as PipelineDefinition;
    // A withheld run's secrets are never decrypted, so they cannot reach an executor.
    const secrets = run.secretsWithheld
      ? {}
      : Object.fromEntries(run.project.secrets.map((s) => [s.name, this.box.decrypt(s.valueEnc, run.projectId)]));
    const undeliverable: Undeliverable[] = [];
    for (const step of pending) {
      const stepDefinition = definition.steps.find((s) => s.name === step.name);
      if (!stepDefinition) {
        undeliverable.push({ step, error: `step "${step.name}" is missing from the run's definition` });
        continue;
      }
      const injected: Record<string, string> = {
        CI: 'true',
        PLATFORM_PROJECT_ID: run.projectId,
        PLATFORM_PROJECT_NAME: run.project.name,
        PROJECT: run.project.name,
        COMMIT_SHA: run.commitSha ?? '',
        COMMIT_REF: run.gitRef,
        COMMIT_BRANCH: run.branch ?? '',
        COMMIT_TAG: run.tag ?? '',
        PIPELINE_ID: run.pipelineId,
        RUN_ID: run.id,
        RUN_NUMBER: String(run.number),
        STEP_NAME: step.name,
        REGISTRY: this.config.KILN_REGISTRY,
      };
      // Withheld like secrets: a fork's step pulls with no credentials of the project.
      const registryCredentials = run.secretsWithheld
        ? []
        : registryCredentialsFor(step.image, run.project.registryCredentials, (enc) =>
            this.box.decrypt(enc, run.projectId),
          );
      const { env, missingSecrets } = resolveStepEnvironment(stepDefinition, injected, secrets);
      if (missingSecrets.length > 0) {
        const error = run.secretsWithheld
          ? `secrets withheld (${missingSecrets.join(', ')}): ${run.secretsWithheld}`
          : `missing project secrets: ${missingSecrets.join(', ')}`;
        undeliverable.push({ step, error });
        continue;
      }
      await this.messaging.publish(
        Subjects.StepDispatched,
        {
          version: 1,
          runId,
          stepId: step.id,
          projectId: run.projectId,
          projectName: run.project.name,
          stepName: step.name,
          attempt: step.attempt,
          repoUrl: run.project.repoUrl,
          commitSha: run.commitSha ?? '',
          gitRef: run.gitRef,
          image: step.image,
          commands: step.commands,
          ...(stepDefinition.build
            ? { build: { ...stepDefinition.build, imageRef: `${this.config.KILN_REGISTRY}/${run.project.name}:${run.commitSha}` } }
            : {}),
          env,
          // Short values would mask ordinary text everywhere; secrets shorter than 4 are not masked.
          maskValues: [...Object.values(secrets), ...registryCredentials.map((c) => c.password)].filter(
            (v) => v.length >= 4,
          ),
          timeoutMs: step.timeoutMs ?? this.defaultTimeoutMs,
          resources: stepDefinition.resources,
          deploy: step.deploy && !run.secretsWithheld,
          ...(registryCredentials.length > 0 ? { registryCredentials } : {}),
        },
        { msgId: `dispatch:${step.id}:${step.attempt}` },
      );
      this.logger.debug({ runId, step: step.name, attempt: step.attempt }, 'step dispatched');
    }
    return undeliverable;
  }

  /** Tells every executor to kill the run's steps; `reason` closes their logs. */
  async cancelRun(runId: string, requestedBy: string, reason = `cancelled by ${requestedBy}`): Promise<void> {
    await this.messaging.publish(
      Subjects.RunCancel,
      { version: 1, runId, requestedBy, reason },
      { msgId: `cancel:${runId}:${requestedBy}` },
    );
  }
}
