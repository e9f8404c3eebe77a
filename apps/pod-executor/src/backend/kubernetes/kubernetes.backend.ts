import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { Backend, OutputLine, RunSpec, StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { sandboxName, stepEnvironmentProblems } from '../local/bwrap-command';
import { apiProblem, deleteIfPresent, isConflict, KubeApi, loadKubeConfig } from './kube-api';
import { KubernetesBackendOptions } from './kubernetes.options';
import {
  envSecretManifest,
  registrySecretManifest,
  servicesSecretManifest,
  stepLabels,
  stepPodManifest,
} from './manifests';
import { LABEL, serviceContainerName } from './names';
import { orphanedRuns } from './orphan-sweep';
import { RunPlacement, RunResources } from './run-resources';
import { startProblems } from './start-check';
import { placementProblems } from './step-placement';
import { StepExecution } from './step-execution';
import { WorkspaceCollector } from './workspace-collector';

/** API answers that mean the step itself cannot run (bad quantity, quota, size), not a passing fault. */
const REFUSALS = new Set([400, 403, 404, 413, 422]);

/**
 * Runs each step as a pod (SPEC §5): one per step, the run's workspace on a PVC mounted at
 * /workspace and checked out by an init container, env through a Secret, status from a watch,
 * logs from the pod log API. Pods, Secrets and the PVC are owned by a per-run ConfigMap, so
 * deleting it (destroyRun, the orphan sweep) garbage-collects everything of the run.
 */
export class KubernetesBackend implements Backend {
  readonly kind = 'kubernetes';
  private readonly logger = new Logger(KubernetesBackend.name);
  private readonly api: KubeApi;
  private readonly runs: RunResources;
  private readonly collector: WorkspaceCollector;
  private readonly executions = new Map<StepHandle, StepExecution>();

  constructor(private readonly options: KubernetesBackendOptions) {
    this.api = new KubeApi(loadKubeConfig(options), options.namespace);
    this.runs = new RunResources(this.api, options);
    this.collector = new WorkspaceCollector(this.api, options);
  }

  /** Refuses to start, saying what is missing, when a run's objects could not be created (start-check.ts). */
  async verify(): Promise<void> {
    const problems = await startProblems(this.api, this.options);
    if (problems.length > 0) {
      throw new Error(
        `the kubernetes backend cannot run steps in namespace ${this.options.namespace}: ${problems.join('; ')}`,
      );
    }
  }

  setupRun(run: RunSpec): Promise<void> {
    return this.runs.setup(run);
  }

  async startStep(step: StepSpec): Promise<StepHandle> {
    const problems = stepEnvironmentProblems(step);
    if (problems.length > 0) throw new StepStartError(problems.join('; '));
    if (!step.image?.trim()) throw new StepStartError('the step names no image');
    const refused = placementProblems(step, this.options);
    if (refused.length > 0) throw new StepStartError(refused.join('; '));
    const placement = await this.runs.placement(step.runId);
    const podName = sandboxName(step.runId, step.stepName, step.attempt);
    const handle: StepHandle = {
      runId: step.runId,
      stepId: step.stepId,
      attempt: step.attempt,
      sandboxName: podName,
    };
    const pod = await this.createPod(step, podName, placement).catch((error: unknown) => {
      placement.pinWith?.(Promise.resolve());
      throw error;
    });
    const execution = new StepExecution(this.api, handle, this.options, {
      scheduled: (node) => this.runs.recordNode(step.runId, node),
      checkedOut: () => this.runs.recordCheckout(step.runId),
    });
    placement.pinWith?.(execution.scheduled);
    execution.start(
      pod,
      (step.services ?? []).map((service, index) => ({
        container: serviceContainerName(index, service.name),
        name: service.name,
      })),
    );
    this.executions.set(handle, execution);
    this.runs.touch(step.runId);
    return handle;
  }

  tailLogs(handle: StepHandle): AsyncIterable<OutputLine> {
    const execution = this.executions.get(handle);
    if (!execution) throw new Error(`no pod ${handle.sandboxName} on this executor`);
    return execution.lines;
  }

  async wait(handle: StepHandle): Promise<StepExit> {
    const execution = this.executions.get(handle);
    if (!execution) return { exitCode: null, error: 'the step is not running on this executor' };
    const exit = await execution.wait();
    this.executions.delete(handle);
    return exit;
  }

  async kill(handle: StepHandle, reason: string): Promise<void> {
    const execution = this.executions.get(handle);
    if (!execution) return;
    this.logger.log({ pod: handle.sandboxName, reason }, 'deleting the step pod');
    await execution.kill();
  }

  async destroyRun(runId: string): Promise<void> {
    const left = [...this.executions.values()].filter((e) => e.handle.runId === runId);
    await Promise.all(left.map((e) => e.kill()));
    await Promise.all(left.map((e) => e.wait()));
    for (const e of left) this.executions.delete(e.handle);
    await this.runs.destroy(runId);
    await this.collector.remove(runId);
  }

  /** Copies the run's workspace (or only `paths`, e.g. the artifact paths) out of its volume. */
  workspaceDir(runId: string, paths?: string[]): Promise<string | null> {
    return this.collector.collect(runId, paths);
  }

  async reapOrphans(before: Date, activeRunIds: ReadonlySet<string>): Promise<string[]> {
    const mine = new Set([...activeRunIds, ...[...this.executions.values()].map((e) => e.handle.runId)]);
    this.runs.forgetUnusedSince(before);
    for (const runId of this.runs.usedSince(before)) mine.add(runId);
    const orphans = await orphanedRuns(this.api, before, mine);
    for (const runId of orphans) await this.runs.destroy(runId);
    if (orphans.length > 0) this.logger.log({ runs: orphans }, 'removed pods and volumes of orphaned runs');
    return orphans;
  }

  /** Creates the step's env Secret and pod; an existing pod of the same attempt (a redelivery) is adopted. */
  private async createPod(step: StepSpec, podName: string, placement: RunPlacement): Promise<V1Pod> {
    const namespace = this.options.namespace;
    const secret = envSecretManifest(placement.owner, step, podName);
    const servicesSecret = servicesSecretManifest(placement.owner, step, podName);
    const registry = registrySecretManifest(placement.owner, step);
    const manifest = stepPodManifest(
      step,
      { podName, ...placement, registrySecret: registry?.metadata?.name },
      this.options,
    );
    try {
      // The run's steps share one registry Secret; each writes the credentials its dispatch carries.
      if (registry) await this.createOrReplace(registry);
      await this.createOrReplace(secret);
      if (servicesSecret) await this.createOrReplace(servicesSecret);
      return await this.api.core
        .createNamespacedPod({ namespace, body: manifest })
        .catch(async (error: unknown) => {
          if (!isConflict(error)) throw error;
          const existing = await this.api.core.readNamespacedPod({ name: podName, namespace });
          const wanted = stepLabels(step);
          if (
            existing.metadata?.labels?.[LABEL.stepId] !== wanted[LABEL.stepId] ||
            existing.metadata?.labels?.[LABEL.attempt] !== wanted[LABEL.attempt]
          ) {
            throw new StepStartError(`a pod named ${podName} already exists for another step`);
          }
          this.logger.log({ pod: podName }, 'adopting the pod of a redelivered step');
          return existing;
        });
    } catch (error) {
      for (const created of [secret, servicesSecret]) {
        if (!created) continue;
        await deleteIfPresent(() =>
          this.api.core.deleteNamespacedSecret({ name: created.metadata!.name!, namespace }),
        ).catch(() => undefined);
      }
      if (error instanceof StepStartError) throw error;
      const problem = apiProblem(error);
      if (problem.code && REFUSALS.has(problem.code))
        throw new StepStartError(`the cluster refused the step pod: ${problem.message}`);
      throw error;
    }
  }

  private async createOrReplace(secret: V1Secret): Promise<void> {
    const namespace = this.options.namespace;
    await this.api.core.createNamespacedSecret({ namespace, body: secret }).catch((error: unknown) => {
      if (!isConflict(error)) throw error;
      return this.api.core.replaceNamespacedSecret({ name: secret.metadata!.name!, namespace, body: secret });
    });
  }
}
