import { sealStepSecrets, StepServiceRequest, Subjects } from '@kiln/contracts';
import { SecretBox } from '@kiln/crypto';
import { PrismaService, Step } from '@kiln/db';
import { resolveStepEnvironment, StepDefinition, StepService } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { decodeSnapshot } from '../runs/definition-snapshot';
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
  /** Seals what a dispatch carries of secrets, for the executors only (KILN_EXECUTOR_KEY). */
  private readonly executorBox: SecretBox;
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {
    this.box = new SecretBox(config.KILN_SECRET_KEY);
    this.executorBox = new SecretBox(config.KILN_EXECUTOR_KEY);
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
    const run = await this.prisma.run.findUniqueOrThrow({
      where: { id: runId },
      include: { project: { include: { secrets: true, registryCredentials: true } } },
    });
    const definition = decodeSnapshot(run.definition);
    // A withheld run's secrets are never decrypted, so they cannot reach an executor.
    const secrets = run.secretsWithheld
      ? {}
      : Object.fromEntries(
          run.project.secrets.map((s) => [s.name, this.box.decrypt(s.valueEnc, run.projectId)]),
        );
    const undeliverable: Undeliverable[] = [];
    for (const step of pending) {
      const stepDefinition = definition?.steps.find((s) => s.name === step.name);
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
      const imageRef = stepDefinition.build
        ? `${this.config.KILN_REGISTRY}/${run.project.name}:${run.commitSha}`
        : undefined;
      // A build step gets the credentials of the registry it pushes to. Withheld like secrets: a
      // fork's step pulls (and pushes) with no credentials of the project.
      const registryCredentials = run.secretsWithheld
        ? []
        : registryCredentialsFor(imageRef ?? step.image, run.project.registryCredentials, (enc) =>
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
      const { plain, secret } = splitSecretVariables(stepDefinition, injected, secrets, env);
      // Short values would mask ordinary text everywhere; secrets shorter than 4 are not masked.
      const maskValues = [...Object.values(secrets), ...registryCredentials.map((c) => c.password)].filter(
        (v) => v.length >= 4,
      );
      const sealed =
        Object.keys(secret).length > 0 || maskValues.length > 0 || registryCredentials.length > 0
          ? sealStepSecrets(
              this.executorBox,
              { runId, stepId: step.id, attempt: step.attempt },
              { env: secret, maskValues, ...(registryCredentials.length > 0 ? { registryCredentials } : {}) },
            )
          : undefined;
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
          ...(stepDefinition.build && imageRef ? { build: { ...stepDefinition.build, imageRef } } : {}),
          env: plain,
          maskValues: [],
          ...(sealed ? { sealed } : {}),
          timeoutMs: step.timeoutMs ?? this.defaultTimeoutMs,
          ...(stepDefinition.noOutputTimeoutMs
            ? { noOutputTimeoutMs: stepDefinition.noOutputTimeoutMs }
            : {}),
          resources: stepDefinition.resources,
          ...(stepDefinition.user ? { user: stepDefinition.user } : {}),
          ...(stepDefinition.nodeSelector ? { nodeSelector: { ...stepDefinition.nodeSelector } } : {}),
          ...(stepDefinition.tolerations?.length
            ? { tolerations: stepDefinition.tolerations.map((t) => ({ ...t })) }
            : {}),
          ...(stepDefinition.services?.length
            ? { services: stepDefinition.services.map(serviceRequest) }
            : {}),
          ...(stepDefinition.cache?.length ? { cache: stepDefinition.cache.map((c) => ({ ...c })) } : {}),
          deploy: step.deploy && !run.secretsWithheld,
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

function serviceRequest({ name, image, environment, commands, waitFor }: StepService): StepServiceRequest {
  return {
    name,
    image,
    environment,
    ...(commands ? { commands } : {}),
    ...(waitFor ? { waitFor: { ...waitFor } } : {}),
  };
}

/**
 * Splits a step's environment into variables whose value came from a project secret (sealed for
 * the executor) and the rest (sent in the clear).
 */
function splitSecretVariables(
  step: Pick<StepDefinition, 'name' | 'environment'>,
  injected: Record<string, string>,
  secrets: Record<string, string>,
  env: Record<string, string>,
): { plain: Record<string, string>; secret: Record<string, string> } {
  const usesSecret = (name: string) =>
    resolveStepEnvironment(
      { name: step.name, environment: { [name]: step.environment[name] } },
      injected,
      secrets,
    ).usedSecrets.length > 0;
  const secretNames = new Set(Object.keys(step.environment).filter(usesSecret));
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) (secretNames.has(name) ? secret : plain)[name] = value;
  return { plain, secret };
}
