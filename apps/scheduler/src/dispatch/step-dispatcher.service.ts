import { sealStepSecrets, StepServiceRequest, Subjects } from '@kiln/contracts';
import { SecretBox } from '@kiln/crypto';
import { PrismaService, Run, Step } from '@kiln/db';
import { resolveServiceEnvironment, resolveStepEnvironment, StepService } from '@kiln/definition';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { durationMs, SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { decodeSnapshot } from '../runs/definition-snapshot';
import { registryCredentialsFor, StoredRegistryCredential } from './registry-credentials';

interface DispatchProject {
  name: string;
  repoUrl: string;
  secrets: { name: string; valueEnc: string }[];
  registryCredentials: StoredRegistryCredential[];
}

const PROJECT_OF_DISPATCH = {
  name: 'kiln-dispatch-project',
  text: `SELECT p.name, p.repo_url AS "repoUrl",
      coalesce((SELECT json_agg(json_build_object('name', s.name, 'valueEnc', s.value_enc))
        FROM secrets s WHERE s.project_id = p.id), '[]') AS "secrets",
      coalesce((SELECT json_agg(json_build_object('server', c.server, 'username', c.username, 'passwordEnc', c.password_enc))
        FROM registry_credentials c WHERE c.project_id = p.id), '[]') AS "registryCredentials"
    FROM projects p WHERE p.id = $1::uuid`,
};

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
  async dispatch(run: Run, queued: Step[]): Promise<Undeliverable[]> {
    const runId = run.id;
    const pending = queued.filter((s) => !s.startedAt);
    if (pending.length === 0) return [];
    const project = await this.projectOf(run.projectId);
    const definition = decodeSnapshot(run.definition);
    // A withheld run's secrets are never decrypted, so they cannot reach an executor.
    const secrets = run.secretsWithheld
      ? {}
      : Object.fromEntries(
          project.secrets.map((s) => [s.name, this.box.decrypt(s.valueEnc, run.projectId)]),
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
        PLATFORM_PROJECT_NAME: project.name,
        PROJECT: project.name,
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
        ? `${this.config.KILN_REGISTRY}/${project.name}:${run.commitSha}`
        : undefined;
      // A build step gets the credentials of the registry it pushes to. Withheld like secrets: a
      // fork's step pulls (and pushes) with no credentials of the project.
      const registryCredentials = run.secretsWithheld
        ? []
        : registryCredentialsFor(imageRef ?? step.image, project.registryCredentials, (enc) =>
            this.box.decrypt(enc, run.projectId),
          );
      const {
        env,
        missingSecrets: stepMissing,
        secretVariables,
      } = resolveStepEnvironment(stepDefinition, injected, secrets);
      // A service's variables are expanded as the step's are; those holding a secret are sealed too.
      const services = (stepDefinition.services ?? []).map((service) => ({
        service,
        ...resolveServiceEnvironment(service, injected, secrets),
      }));
      const missingSecrets = [...new Set([...stepMissing, ...services.flatMap((s) => s.missingSecrets)])];
      if (missingSecrets.length > 0) {
        const error = run.secretsWithheld
          ? `secrets withheld (${missingSecrets.join(', ')}): ${run.secretsWithheld}`
          : `missing project secrets: ${missingSecrets.join(', ')}`;
        undeliverable.push({ step, error });
        continue;
      }
      const { plain, secret } = splitVariables(env, new Set(secretVariables));
      const serviceEnv = Object.fromEntries(
        services.filter((s) => Object.keys(s.secret).length > 0).map((s) => [s.service.name, s.secret]),
      );
      const hasServiceSecrets = Object.keys(serviceEnv).length > 0;
      // Short values would mask ordinary text everywhere; secrets shorter than 4 are not masked.
      const maskValues = [...Object.values(secrets), ...registryCredentials.map((c) => c.password)].filter(
        (v) => v.length >= 4,
      );
      const sealed =
        Object.keys(secret).length > 0 ||
        hasServiceSecrets ||
        maskValues.length > 0 ||
        registryCredentials.length > 0
          ? sealStepSecrets(
              this.executorBox,
              { runId, stepId: step.id, attempt: step.attempt },
              {
                env: secret,
                ...(hasServiceSecrets ? { serviceEnv } : {}),
                maskValues,
                ...(registryCredentials.length > 0 ? { registryCredentials } : {}),
              },
            )
          : undefined;
      await this.messaging.publish(
        Subjects.StepDispatched,
        {
          version: 1,
          runId,
          stepId: step.id,
          projectId: run.projectId,
          projectName: project.name,
          stepName: step.name,
          attempt: step.attempt,
          repoUrl: project.repoUrl,
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
          ...(services.length > 0
            ? { services: services.map(({ service, plain }) => serviceRequest({ ...service, environment: plain })) }
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

  /** What a dispatch needs of the run's project, in one statement (its secrets and credentials as JSON). */
  private async projectOf(projectId: string): Promise<DispatchProject> {
    const { rows } = await this.prisma.pool.query<DispatchProject>({ ...PROJECT_OF_DISPATCH, values: [projectId] });
    if (!rows[0]) throw new Error(`project ${projectId} of a run to dispatch does not exist`);
    return rows[0];
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
 * Splits a step's environment into the variables whose value came from a project secret (sealed
 * for the executor) and the rest (sent in the clear).
 */
function splitVariables(
  env: Record<string, string>,
  secretNames: ReadonlySet<string>,
): { plain: Record<string, string>; secret: Record<string, string> } {
  const part = (secret: boolean) =>
    Object.fromEntries(Object.entries(env).filter(([name]) => secretNames.has(name) === secret));
  return { plain: part(false), secret: part(true) };
}
