import type { V1Pod } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { OutputLine, StepExit, StepHandle } from '../backend';
import { deleteIfPresent, KubeApi } from './kube-api';
import { LineQueue } from './line-queue';
import { CHECKOUT_CONTAINER, envSecretName, servicesSecretName, STEP_CONTAINER } from './names';
import { containerStatus, podOutcome } from './pod-outcome';
import { ContainerPhase, followContainerLog } from './pod-log-follower';
import { PodWatcher } from './pod-watcher';
import { SERVICE_LINES_GRACE_MS } from '../service-lines';

export interface ExecutionHooks {
  /** The pod was bound to a node (pins the run's ReadWriteOnce volume). */
  scheduled(node: string): void;
  /** The init container checked the repository out. */
  checkedOut(): void;
}

/** A service's container in the step's pod, and the name its log lines are prefixed with. */
export interface ServiceContainer {
  container: string;
  name: string;
}

export interface ExecutionTiming {
  killGracePeriodSeconds: number;
  logDrainTimeoutMs: number;
  scheduleTimeoutSeconds: number;
}

/** How long a finished container's pod phase may lag before the outcome is decided without it. */
const SETTLE_MS = 3000;
/** After a kill, how long the pod may take to stop before it is removed by force (a dead node's pod never stops). */
const KILL_SLACK_MS = 15_000;
/** How long an ErrImagePull may stand without the kubelet reporting its back-off before the step ends on it. */
const PULL_STALL_MS = 30_000;

/**
 * One step pod from creation to deletion: its watch decides the outcome, its log is followed into
 * `lines`, and `wait()` deletes the pod (and its env Secret) only after the log has been drained.
 */
export class StepExecution {
  readonly lines = new LineQueue();
  private readonly logger = new Logger(StepExecution.name);
  private readonly watcher: PodWatcher;
  private readonly stopLogs = new AbortController();
  private pod?: V1Pod;
  private gone = false;
  private killed = false;
  private terminatedAt?: number;
  private outcome?: StepExit;
  private resolveOutcome!: (exit: StepExit) => void;
  private readonly decided = new Promise<StepExit>((resolve) => (this.resolveOutcome = resolve));
  private resolveScheduled!: () => void;
  /** Resolves once the pod is bound to a node, or can no longer be. */
  readonly scheduled = new Promise<void>((resolve) => (this.resolveScheduled = resolve));
  private readonly changeWaiters = new Set<() => void>();
  private logsDone?: Promise<void>;
  private settleTimer?: NodeJS.Timeout;
  private forceTimer?: NodeJS.Timeout;
  private waited?: Promise<StepExit>;
  private node?: string;
  private checkedOut = false;
  private readonly pullErrors: Record<string, string> = {};
  private pullStalled = false;
  private pullTimer?: NodeJS.Timeout;
  private unschedulable = false;
  private scheduleTimer?: NodeJS.Timeout;

  constructor(
    private readonly api: KubeApi,
    readonly handle: StepHandle,
    private readonly timing: ExecutionTiming,
    private readonly hooks: ExecutionHooks,
  ) {
    this.watcher = new PodWatcher(api, handle.sandboxName, (pod, gone) => this.update(pod, gone));
  }

  /** `services`: the containers of the step's services, whose output joins the step's log. */
  start(pod: V1Pod, services: ServiceContainer[] = []): void {
    this.update(pod, false);
    this.watcher.start(pod);
    this.logsDone = this.followLogs(services).finally(() => this.lines.close());
  }

  /** The outcome, once the log is drained and the pod and its Secret are deleted. Never rejects. */
  wait(): Promise<StepExit> {
    this.waited ??= this.finish();
    return this.waited;
  }

  /** Deletes the pod (SIGTERM, then SIGKILL after the grace period); wait() then resolves. */
  async kill(): Promise<void> {
    // A container that already ended keeps its own result; wait() deletes its pod.
    if (this.outcome || this.killed || this.terminatedAt !== undefined) return;
    this.killed = true;
    await this.deletePod(this.timing.killGracePeriodSeconds);
    this.forceTimer = setTimeout(
      () => void this.deletePod(0),
      this.timing.killGracePeriodSeconds * 1000 + KILL_SLACK_MS,
    ).unref();
    this.evaluate();
  }

  private async finish(): Promise<StepExit> {
    const exit = await this.decided;
    await Promise.race([
      this.logsDone,
      new Promise((resolve) => setTimeout(resolve, this.timing.logDrainTimeoutMs).unref()),
    ]);
    this.stopLogs.abort();
    this.lines.close();
    clearTimeout(this.forceTimer);
    clearTimeout(this.settleTimer);
    clearTimeout(this.pullTimer);
    clearTimeout(this.scheduleTimer);
    this.watcher.stop();
    await this.deletePod(0);
    // The services' Secret exists only when a service has a secret variable: absent, nothing to do.
    for (const name of [envSecretName, servicesSecretName].map((of) => of(this.handle.sandboxName))) {
      await deleteIfPresent(() =>
        this.api.core.deleteNamespacedSecret({ name, namespace: this.api.namespace }),
      ).catch((error: Error) =>
        this.logger.warn(
          { pod: this.handle.sandboxName, secret: name, error: error.message },
          'step secret not deleted',
        ),
      );
    }
    return exit;
  }

  private update(pod: V1Pod, gone: boolean): void {
    this.pod = pod;
    this.gone ||= gone;
    const status = pod.status;
    if (pod.spec?.nodeName && pod.spec.nodeName !== this.node) {
      this.node = pod.spec.nodeName;
      this.hooks.scheduled(this.node);
      this.resolveScheduled();
    }
    if (
      !this.checkedOut &&
      containerStatus(status?.initContainerStatuses, CHECKOUT_CONTAINER)?.state?.terminated?.exitCode === 0
    ) {
      this.checkedOut = true;
      this.hooks.checkedOut();
    }
    this.notePullErrors(pod);
    this.noteUnscheduled(pod);
    if (
      this.terminatedAt === undefined &&
      containerStatus(status?.containerStatuses, STEP_CONTAINER)?.state?.terminated
    ) {
      this.terminatedAt = Date.now();
      this.settleTimer = setTimeout(() => this.evaluate(), SETTLE_MS).unref();
    }
    this.evaluate();
    for (const wake of this.changeWaiters) wake();
    this.changeWaiters.clear();
  }

  private evaluate(): void {
    if (this.outcome || !this.pod) return;
    const settled = this.terminatedAt !== undefined && Date.now() - this.terminatedAt >= SETTLE_MS;
    const exit = podOutcome(this.pod, {
      gone: this.gone,
      killed: this.killed,
      settled,
      pullErrors: this.pullErrors,
      pullStalled: this.pullStalled,
      unschedulable: this.unschedulable,
    });
    if (!exit) return;
    this.outcome = exit;
    this.resolveOutcome(exit);
    this.resolveScheduled();
  }

  // The clock runs from the first time the scheduler could not place the pod until it is bound.
  private noteUnscheduled(pod: V1Pod): void {
    if (pod.spec?.nodeName) {
      clearTimeout(this.scheduleTimer);
      return;
    }
    const refused = pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (!refused || this.scheduleTimer) return;
    this.scheduleTimer = setTimeout(() => {
      this.unschedulable = true;
      this.evaluate();
    }, this.timing.scheduleTimeoutSeconds * 1000).unref();
  }

  // Remembers each failed pull's message; the first one starts the clock on a stalled ErrImagePull.
  private notePullErrors(pod: V1Pod): void {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses) {
      const waiting = status.state?.waiting;
      if (waiting?.reason !== 'ErrImagePull') continue;
      if (waiting.message) this.pullErrors[status.name] = waiting.message;
      this.pullTimer ??= setTimeout(() => {
        this.pullStalled = true;
        this.evaluate();
      }, PULL_STALL_MS).unref();
    }
  }

  private async followLogs(services: ServiceContainer[]): Promise<void> {
    const sink = (line: OutputLine) => this.lines.push(line);
    const target = (container: string) => ({
      podName: this.handle.sandboxName,
      container,
      phase: () => this.phaseOf(container),
      nextChange: (maxWaitMs: number) => this.nextChange(maxWaitMs),
      ended: () => this.outcome !== undefined,
    });
    const hasCheckout = this.pod?.spec?.initContainers?.some((c) => c.name === CHECKOUT_CONTAINER);
    try {
      if (hasCheckout)
        await followContainerLog(this.api, target(CHECKOUT_CONTAINER), sink, this.stopLogs.signal);
      // Services run on after the step: their logs are followed until the step's is drained, and
      // for SERVICE_LINES_GRACE_MS more (what they wrote while the step ran may arrive later).
      const stopServices = new AbortController();
      const stop = () => stopServices.abort();
      this.stopLogs.signal.addEventListener('abort', stop);
      const serviceLogs = services.map(({ container, name }) =>
        followContainerLog(this.api, target(container), (line) => sink({ ...line, text: `[${name}] ${line.text}` }), stopServices.signal)
          .catch((error: unknown) =>
            this.logger.warn({ pod: this.handle.sandboxName, container, error: (error as Error).message }, 'following a service log failed'),
          ),
      );
      await followContainerLog(this.api, target(STEP_CONTAINER), sink, this.stopLogs.signal).finally(() =>
        this.stopLogs.signal.aborted ? stop() : setTimeout(stop, SERVICE_LINES_GRACE_MS),
      );
      await Promise.all(serviceLogs);
      this.stopLogs.signal.removeEventListener('abort', stop);
    } catch (error) {
      this.logger.warn(
        { pod: this.handle.sandboxName, error: (error as Error).message },
        'following the step log failed',
      );
    }
  }

  private phaseOf(container: string): ContainerPhase {
    if (this.gone || !this.pod) return 'unavailable';
    const status = this.pod.status;
    const list = container === CHECKOUT_CONTAINER ? status?.initContainerStatuses : status?.containerStatuses;
    const state = containerStatus(list, container)?.state;
    if (state?.terminated) return 'terminated';
    if (state?.running) return 'running';
    // Waiting: for good once the outcome is known (image pull failure, failed checkout, eviction).
    return this.outcome ? 'unavailable' : 'waiting';
  }

  private nextChange(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.changeWaiters.delete(wake);
        resolve();
      }, maxWaitMs).unref();
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.changeWaiters.add(wake);
    });
  }

  private async deletePod(gracePeriodSeconds: number): Promise<void> {
    try {
      await deleteIfPresent(() =>
        this.api.core.deleteNamespacedPod({
          name: this.handle.sandboxName,
          namespace: this.api.namespace,
          gracePeriodSeconds,
        }),
      );
    } catch (error) {
      this.logger.warn(
        { pod: this.handle.sandboxName, error: (error as Error).message },
        'step pod not deleted',
      );
    }
  }
}
