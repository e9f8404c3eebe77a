import {
  logSubjectSuffix,
  openStepSecrets,
  RunCancelEvent,
  SealedSecretsError,
  StepDispatchedEvent,
  StepSecrets,
  StepServiceRequest,
  Subjects,
} from '@kiln/contracts';
import { SecretBox } from '@kiln/crypto';
import { formatDuration } from '@kiln/definition';
import { MessageContext, MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Backend,
  BACKEND,
  StepExit,
  StepHandle,
  StepSpec,
  StepStartError,
  WorkspaceSetupError,
} from '../backend/backend';
import { CachePlan, CacheStep, StepCachesService } from '../caches/step-caches.service';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { EXECUTOR_IDENTITY, ExecutorIdentity } from '../identity/executor-identity';
import { ExecutorMetrics } from '../metrics/executor-metrics';
import { KillReason, RunningStep, RunningSteps } from './running-steps';
import { StepLog } from './step-log';
import { outcomeLine, stepOutcome } from './step-outcome';

/** How often a running step tells JetStream it is still being worked on (well inside ackWait). */
export const WORKING_INTERVAL_MS = 10_000;
// setTimeout cannot wait longer than 2^31-1 ms (~24 days).
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Finished runs remembered; a dispatch arriving later than this many run ends is caught by the started check. */
const FINISHED_RUNS_KEPT = 10_000;
/** What `execute` answers when another execution of the same attempt had already started it. */
const DUPLICATE = 'duplicate';

/** Raised while the executor shuts down: the dispatch is returned to the stream for another executor. */
export class ExecutorDrainingError extends Error {
  override readonly name = 'ExecutorDrainingError';
  constructor() {
    super('executor is shutting down');
  }
}

/**
 * Runs one dispatched step attempt end to end: workspace, sandbox, `kiln.step.started`, log chunks,
 * then `kiln.step.finished` with the chunk count. Kills on timeout, no output, cancel and shutdown, and always
 * reports the attempt it accepted unless NATS itself stays unreachable.
 */
@Injectable()
export class StepRunnerService {
  private readonly logger = new Logger(StepRunnerService.name);
  private draining = false;
  /** Runs cancelled recently: a dispatch for one of them that arrives late is not run. */
  private readonly cancelledRuns = new Map<string, RunCancelEvent>();
  /** Runs that ended: a late copy of one of their dispatches must neither run nor recreate the workspace. */
  private readonly finishedRuns = new Set<string>();
  private readonly inFlight = new Set<Promise<string>>();
  /** Opens the secrets the scheduler sealed into dispatches (KILN_EXECUTOR_KEY). */
  private readonly executorBox?: SecretBox;

  constructor(
    private readonly messaging: MessagingService,
    private readonly running: RunningSteps,
    private readonly metrics: ExecutorMetrics,
    @Inject(BACKEND) private readonly backend: Backend,
    @Inject(EXECUTOR_CONFIG) private readonly config: ExecutorConfig,
    @Inject(EXECUTOR_IDENTITY) private readonly identity: ExecutorIdentity,
    private readonly caches: StepCachesService,
  ) {
    if (config.KILN_EXECUTOR_KEY) this.executorBox = new SecretBox(config.KILN_EXECUTOR_KEY);
  }

  async run(dispatch: StepDispatchedEvent, ctx: MessageContext): Promise<void> {
    if (this.draining) throw new ExecutorDrainingError();
    const fields = { runId: dispatch.runId, step: dispatch.stepName, attempt: dispatch.attempt };
    if (this.finishedRuns.has(dispatch.runId)) {
      this.logger.log(fields, 'dispatch of a finished run ignored');
      return;
    }
    const step = this.running.add(dispatch.runId, dispatch.stepId, dispatch.attempt);
    if (!step) {
      this.logger.log(fields, 'duplicate dispatch of a step running here ignored');
      return;
    }
    const cancel = this.cancelledRuns.get(dispatch.runId);
    if (cancel) this.markKilled(step, 'cancel', cancel.reason);
    const keepAlive = setInterval(() => ctx.working(), WORKING_INTERVAL_MS);
    const began = Date.now();
    this.metrics.running.inc();
    const work = this.execute(dispatch, step);
    this.inFlight.add(work);
    try {
      const status = await work;
      this.metrics.steps.inc({ status });
      this.metrics.stepDuration.observe({ status }, (Date.now() - began) / 1000);
      this.logger.log({ ...fields, status }, 'step finished');
    } finally {
      this.inFlight.delete(work);
      clearInterval(keepAlive);
      this.running.remove(step);
      this.metrics.running.dec();
    }
  }

  /** Resolves when every accepted step has been reported, or after `timeoutMs`; true when idle. */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const idle = Promise.allSettled([...this.inFlight]).then(() => true);
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Kills every step of the run running here; later dispatches of the run are reported cancelled. */
  async cancelRun(event: RunCancelEvent): Promise<void> {
    this.cancelledRuns.set(event.runId, event);
    if (this.cancelledRuns.size > 1000) this.cancelledRuns.delete(this.cancelledRuns.keys().next().value!);
    const steps = this.running.ofRun(event.runId);
    if (steps.length > 0) this.logger.log({ runId: event.runId, steps: steps.length }, 'cancelling the run');
    await Promise.all(steps.map((s) => this.kill(s, 'cancel', event.reason)));
  }

  runFinished(runId: string): void {
    this.finishedRuns.add(runId);
    if (this.finishedRuns.size > FINISHED_RUNS_KEPT)
      this.finishedRuns.delete(this.finishedRuns.values().next().value!);
  }

  /** Stops accepting dispatches; new ones are returned to the stream. */
  stopAccepting(): void {
    this.draining = true;
  }

  async killAll(reason: KillReason, detail: string): Promise<void> {
    await Promise.all(this.running.all().map((s) => this.kill(s, reason, detail)));
  }

  private async execute(dispatch: StepDispatchedEvent, step: RunningStep): Promise<string> {
    const opened = this.openSecrets(dispatch);
    const secrets = opened instanceof SealedSecretsError ? { env: {}, maskValues: [] } : opened;
    const log = new StepLog(
      {
        runId: dispatch.runId,
        stepId: dispatch.stepId,
        stepName: dispatch.stepName,
        attempt: dispatch.attempt,
      },
      {
        maxBytes: this.config.KILN_LOG_MAX_BYTES,
        maskValues: [...dispatch.maskValues, ...secrets.maskValues],
      },
      async (chunk) => {
        await this.messaging.publish(Subjects.Logs, chunk, {
          msgId: `log:${chunk.stepId}:${chunk.attempt}:${chunk.seq}`,
          suffix: logSubjectSuffix(chunk.runId, chunk.stepId),
        });
      },
    );
    const ran =
      opened instanceof SealedSecretsError
        ? { exit: { exitCode: null, error: opened.message } }
        : await this.runInSandbox(
            toStepSpec(dispatch, secrets),
            step,
            log,
            cacheStep(dispatch),
            dispatch.noOutputTimeoutMs,
          );
    if (!ran) return DUPLICATE;
    const { exit, startedAt } = ran;
    const outcome = stepOutcome(step, exit, dispatch.timeoutMs);
    if (outcome.status === 'succeeded' && ran.cachePlan) {
      for (const line of await this.caches.save(cacheStep(dispatch)!, ran.cachePlan)) await log.system(line);
    }
    const closing = outcomeLine(outcome, exit);
    if (closing) await log.system(closing);
    const logChunks = await log.close(exit.exitCode);
    await this.messaging.publish(
      Subjects.StepFinished,
      {
        version: 1,
        runId: dispatch.runId,
        stepId: dispatch.stepId,
        attempt: dispatch.attempt,
        executorId: this.identity.id,
        status: outcome.status,
        ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
        ...(exit.signal ? { signal: exit.signal } : {}),
        ...(outcome.error ? { error: outcome.error.slice(0, 4000) } : {}),
        ...(startedAt ? { startedAt } : {}),
        finishedAt: new Date().toISOString(),
        logChunks,
        ...(exit.pushedImage ? { pushedImage: exit.pushedImage } : {}),
      },
      { msgId: `finished:${dispatch.stepId}:${dispatch.attempt}` },
    );
    return outcome.status;
  }

  private async runInSandbox(
    spec: StepSpec,
    step: RunningStep,
    log: StepLog,
    caches?: CacheStep,
    noOutputTimeoutMs?: number,
  ): Promise<{ exit: StepExit; startedAt?: string; cachePlan?: CachePlan } | null> {
    if (step.killReason) return { exit: { exitCode: null } };
    let handle: StepHandle;
    let cachePlan: CachePlan | undefined;
    try {
      await this.backend.setupRun(spec);
      if (step.killReason) return { exit: { exitCode: null } };
      // Before the step starts, so it finds the cached paths; logged once the attempt is ours.
      if (caches) cachePlan = await this.caches.restore(caches);
      handle = await this.backend.startStep(spec);
    } catch (error) {
      if (!(error instanceof WorkspaceSetupError || error instanceof StepStartError)) throw error;
      return { exit: { exitCode: null, error: error.message } };
    }
    step.handle = handle;
    const startedAt = new Date().toISOString();
    const timer = setTimeout(
      () => void this.kill(step, 'timeout', 'timeout'),
      Math.min(spec.timeoutMs, MAX_TIMER_MS),
    );
    let silence: NodeJS.Timeout | undefined;
    try {
      // A cancel that arrived while the sandbox was starting takes effect now.
      if (step.killReason) await this.backend.kill(handle, step.killReason);
      if (!(await this.publishStarted(spec, handle, startedAt))) {
        // Another execution of this attempt (a repeated or redelivered dispatch) owns its log and
        // its result; a second one would mix its lines into that log. Stopped before any is sent.
        this.logger.warn(
          { runId: spec.runId, step: spec.stepName, attempt: spec.attempt },
          'attempt already started by another execution; stopping this one',
        );
        await this.backend.kill(handle, 'duplicate dispatch');
        await this.backend.wait(handle);
        return null;
      }
      for (const line of cachePlan?.lines ?? []) await log.system(line);
      const ignored = ignoredPlacement(spec, this.backend.kind);
      if (ignored) await log.system(ignored);
      silence = noOutputTimeoutMs ? this.silenceTimer(step, noOutputTimeoutMs) : undefined;
      for await (const line of this.backend.tailLogs(handle)) {
        silence?.refresh();
        await log.write(line.stream, line.text, line.ts);
      }
      return { exit: await this.backend.wait(handle), startedAt, cachePlan };
    } catch (error) {
      // The step's events cannot get out (NATS unreachable): stop it; the dispatch is redelivered.
      await this.backend.kill(handle, 'events could not be published');
      await this.backend.wait(handle);
      throw error;
    } finally {
      clearTimeout(timer);
      clearTimeout(silence);
    }
  }

  /** Kills the step once no log line came for `ms`; each line restarts it (`refresh`). */
  private silenceTimer(step: RunningStep, ms: number): NodeJS.Timeout {
    const detail = `no output for ${formatDuration(ms)}`;
    return setTimeout(() => void this.kill(step, 'no-output', detail), Math.min(ms, MAX_TIMER_MS));
  }

  /** The dispatch's sealed secrets, opened; an error to report as the step's failure when they cannot be. */
  private openSecrets(dispatch: StepDispatchedEvent): StepSecrets | SealedSecretsError {
    if (!dispatch.sealed) return { env: {}, maskValues: [] };
    if (!this.executorBox)
      return new SealedSecretsError('the step carries secrets but KILN_EXECUTOR_KEY is not set');
    try {
      return openStepSecrets(this.executorBox, dispatch, dispatch.sealed);
    } catch (err) {
      if (err instanceof SealedSecretsError) return err;
      throw err;
    }
  }

  /** Announces the attempt; false when another execution announced the same attempt first. */
  private async publishStarted(spec: StepSpec, handle: StepHandle, startedAt: string): Promise<boolean> {
    const { seq, duplicate } = await this.messaging.publish(
      Subjects.StepStarted,
      {
        version: 1,
        runId: spec.runId,
        stepId: spec.stepId,
        attempt: spec.attempt,
        executorId: this.identity.id,
        sandboxName: handle.sandboxName,
        startedAt,
        ...(handle.imageDigest ? { imageDigest: handle.imageDigest } : {}),
      },
      { msgId: `started:${spec.stepId}:${spec.attempt}` },
    );
    if (!duplicate) return true;
    // A publish retried after a lost ack also answers duplicate: then the stored start is ours.
    const first = await this.messaging.stored(Subjects.StepStarted, seq);
    return !first || (first.executorId === this.identity.id && first.startedAt === startedAt);
  }

  /**
   * Never rejects: timers call it without awaiting (an unhandled rejection would end the process
   * and every step on it). A kill the backend cannot deliver (the Docker Engine or the API server
   * unreachable) is logged; the step's wait then ends it when the backend answers again, and the
   * kill reason is already recorded, so a repeated cancel does not try again.
   */
  private async kill(step: RunningStep, reason: KillReason, detail: string): Promise<void> {
    if (!this.markKilled(step, reason, detail) || !step.handle) return;
    const ids = { runId: step.runId, stepId: step.stepId, attempt: step.attempt, reason };
    this.logger.warn(ids, 'killing step');
    await this.backend.kill(step.handle, reason).catch((error: unknown) => {
      this.logger.error({ ...ids, error: error instanceof Error ? error.message : String(error) }, 'the step could not be killed');
    });
  }

  private markKilled(step: RunningStep, reason: KillReason, detail: string): boolean {
    if (step.killReason) return false;
    step.killReason = reason;
    step.killDetail = detail;
    return true;
  }
}

function cacheStep(dispatch: StepDispatchedEvent): CacheStep | undefined {
  if (!dispatch.cache?.length) return undefined;
  const branch = dispatch.env.COMMIT_BRANCH ?? '';
  return { runId: dispatch.runId, projectId: dispatch.projectId, branch, cache: dispatch.cache };
}

/** Node placement exists only on Kubernetes: the other backends have one host and say they ran the step there. */
function ignoredPlacement(spec: StepSpec, backend: string): string | undefined {
  if (backend === 'kubernetes') return undefined;
  const asked = [
    spec.nodeSelector ? 'node_selector' : '',
    spec.tolerations?.length ? 'tolerations' : '',
  ].filter(Boolean);
  if (asked.length === 0) return undefined;
  return `${asked.join(' and ')} ignored: the ${backend} backend runs every step on this executor's host`;
}

/** A service of the dispatch with its sealed variables (`StepSecrets.serviceEnv`) beside its plain ones. */
function withSecretEnvironment(
  service: StepServiceRequest,
  secrets: StepSecrets,
): NonNullable<StepSpec['services']>[number] {
  const serviceEnv = secrets.serviceEnv ?? {};
  if (!Object.hasOwn(serviceEnv, service.name)) return { ...service };
  return { ...service, secretEnvironment: { ...serviceEnv[service.name] } };
}

function toStepSpec(dispatch: StepDispatchedEvent, secrets: StepSecrets): StepSpec {
  const registryCredentials = secrets.registryCredentials ?? dispatch.registryCredentials;
  return {
    runId: dispatch.runId,
    repoUrl: dispatch.repoUrl,
    commitSha: dispatch.commitSha,
    gitRef: dispatch.gitRef,
    stepId: dispatch.stepId,
    stepName: dispatch.stepName,
    attempt: dispatch.attempt,
    image: dispatch.image,
    commands: dispatch.commands,
    ...(dispatch.build ? { build: { ...dispatch.build } } : {}),
    env: { ...dispatch.env, ...secrets.env },
    timeoutMs: dispatch.timeoutMs,
    projectId: dispatch.projectId,
    ...(dispatch.resources
      ? { resources: { cpu: dispatch.resources.cpu, memory: dispatch.resources.memory } }
      : {}),
    ...(dispatch.user ? { user: dispatch.user } : {}),
    ...(dispatch.nodeSelector ? { nodeSelector: { ...dispatch.nodeSelector } } : {}),
    ...(dispatch.tolerations ? { tolerations: dispatch.tolerations.map((t) => ({ ...t })) } : {}),
    ...(dispatch.services
      ? { services: dispatch.services.map((service) => withSecretEnvironment(service, secrets)) }
      : {}),
    ...(registryCredentials ? { registryCredentials } : {}),
  };
}
