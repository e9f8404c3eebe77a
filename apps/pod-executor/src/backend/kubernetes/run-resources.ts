import type { V1ConfigMap } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { RunSpec, StepStartError, WorkspaceSetupError } from '../backend';
import { apiProblem, deleteIfPresent, isConflict, KubeApi, readIfPresent } from './kube-api';
import { KubernetesBackendOptions } from './kubernetes.options';
import { checkoutSecretManifest, RunOwner, runOwnerManifest, workspaceClaimManifest } from './manifests';
import { ANNOTATION, claimName, OWNER_DATA, ownerName, runSelector } from './names';

const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;
/** How long later steps of a run wait for its first pod to be bound to a node before starting unpinned. */
const PIN_WAIT_MS = 120_000;

/** What a step pod needs to know about its run. */
export interface RunPlacement {
  owner: RunOwner;
  /** Node the run's ReadWriteOnce volume is attached to, when known. */
  node?: string;
  /** The repository is not yet checked out: the pod needs the init container. */
  checkout: boolean;
  /** Given to the pod that decides the run's node: call it with "that pod is bound (or failed)". */
  pinWith?: (bound: Promise<unknown>) => void;
}

interface RunState {
  owner: RunOwner;
  /** When this executor last set the run up or placed a pod of it. */
  usedAt: number;
  node?: string;
  checkedOut: boolean;
  /** The first pod of a run that is not pinned yet: resolves when it is bound to a node. */
  pinning?: Promise<void>;
}

/**
 * The per-run objects: the owner ConfigMap `kiln-run-<id>` (deleting it garbage-collects the rest),
 * the workspace PVC, and the Secret with the repository URL for the checkout. What several
 * executors must share about a run — its node, whether it is checked out — lives in the owner's
 * data, not in this process.
 */
export class RunResources {
  private readonly logger = new Logger(RunResources.name);
  private readonly runs = new Map<string, RunState>();
  private readonly preparing = new Map<string, Promise<RunState>>();

  constructor(
    private readonly api: KubeApi,
    private readonly options: KubernetesBackendOptions,
  ) {}

  /** Creates what the run needs, once per run in this process (concurrent calls share one attempt). */
  async setup(run: RunSpec): Promise<void> {
    checkTarget(run);
    const known = this.runs.get(run.runId);
    if (known) {
      known.usedAt = Date.now();
      return;
    }
    let pending = this.preparing.get(run.runId);
    if (!pending) {
      pending = this.create(run).finally(() => this.preparing.delete(run.runId));
      this.preparing.set(run.runId, pending);
    }
    this.runs.set(run.runId, await pending);
  }

  /** Drops what this process remembers of runs it has not used since `before` (their run ended elsewhere). */
  forgetUnusedSince(before: Date): void {
    for (const [runId, state] of this.runs) if (state.usedAt < before.getTime()) this.runs.delete(runId);
  }

  /** Runs this executor set up or started a step of since `before`. */
  usedSince(before: Date): string[] {
    return [...this.runs.entries()]
      .filter(([, state]) => state.usedAt >= before.getTime())
      .map(([runId]) => runId);
  }

  /**
   * Where the run's next pod goes, with what other executors recorded on the owner. While a run on
   * a ReadWriteOnce volume has no node yet, the first caller gets `pinWith` and decides the node;
   * later callers wait until that pod is bound, so parallel steps land on the same node.
   */
  async placement(runId: string): Promise<RunPlacement> {
    const state = this.runs.get(runId);
    if (!state) throw new StepStartError('the run was not set up on this executor');
    state.usedAt = Date.now();
    let release: (() => void) | undefined;
    if (this.pinned() && !state.node) {
      if (state.pinning) await Promise.race([state.pinning, delay(PIN_WAIT_MS)]);
      else release = this.reservePinning(state);
    }
    try {
      const owner = await readIfPresent(() =>
        this.api.core.readNamespacedConfigMap({ name: ownerName(runId), namespace: this.api.namespace }),
      );
      if (!owner) throw new StepStartError('the run owner object is gone (the run was destroyed)');
      state.node ??= owner.data?.[OWNER_DATA.node];
      state.checkedOut ||= owner.data?.[OWNER_DATA.checkout] === 'done';
    } catch (error) {
      release?.();
      throw error;
    }
    const node = this.pinned() ? state.node : undefined;
    if (node) release?.();
    const decide = release && !node ? release : undefined;
    return {
      owner: state.owner,
      node,
      checkout: !state.checkedOut,
      ...(decide ? { pinWith: (bound: Promise<unknown>) => void bound.then(decide, decide) } : {}),
    };
  }

  recordNode(runId: string, node: string): void {
    const state = this.runs.get(runId);
    if (!state || !this.pinned() || state.node) return;
    state.node = node;
    this.patchOwner(runId, { data: { [OWNER_DATA.node]: node } });
  }

  recordCheckout(runId: string): void {
    const state = this.runs.get(runId);
    if (!state || state.checkedOut) return;
    state.checkedOut = true;
    this.patchOwner(runId, { data: { [OWNER_DATA.checkout]: 'done' } });
  }

  /** Marks the run as worked on, so the orphan sweep of any executor leaves it alone. */
  touch(runId: string): void {
    this.patchOwner(runId, {
      metadata: { annotations: { [ANNOTATION.lastActive]: new Date().toISOString() } },
    });
  }

  /** Deletes the owner (the garbage collector takes the rest) and, to be quick, the rest directly. */
  async destroy(runId: string): Promise<void> {
    this.runs.delete(runId);
    const namespace = this.api.namespace;
    const selector = runSelector(runId);
    await deleteIfPresent(() =>
      this.api.core.deleteNamespacedConfigMap({
        name: ownerName(runId),
        namespace,
        propagationPolicy: 'Background',
      }),
    );
    await this.api.core.deleteCollectionNamespacedPod({
      namespace,
      labelSelector: selector,
      gracePeriodSeconds: 0,
    });
    await this.api.core.deleteCollectionNamespacedSecret({ namespace, labelSelector: selector });
    await deleteIfPresent(() =>
      this.api.core.deleteNamespacedPersistentVolumeClaim({ name: claimName(runId), namespace }),
    );
  }

  private reservePinning(state: RunState): () => void {
    let resolve!: () => void;
    const pinning = new Promise<void>((r) => (resolve = r));
    state.pinning = pinning;
    // Never hold the run's other steps longer than this, whatever happens to the first pod.
    const timer = setTimeout(() => release(), PIN_WAIT_MS).unref();
    const release = () => {
      clearTimeout(timer);
      if (state.pinning === pinning) state.pinning = undefined;
      resolve();
    };
    return release;
  }

  private pinned(): boolean {
    return this.options.accessMode === 'ReadWriteOnce';
  }

  private async create(run: RunSpec): Promise<RunState> {
    const namespace = this.api.namespace;
    try {
      const owner = await this.ensureOwner(run.runId);
      const ref: RunOwner = { runId: run.runId, uid: owner.metadata!.uid! };
      await this.createOrIgnore(() =>
        this.api.core.createNamespacedPersistentVolumeClaim({
          namespace,
          body: workspaceClaimManifest(ref, this.options),
        }),
      );
      const secret = checkoutSecretManifest(ref, run);
      await this.createOrIgnore(
        () => this.api.core.createNamespacedSecret({ namespace, body: secret }),
        () =>
          this.api.core.replaceNamespacedSecret({ name: secret.metadata!.name!, namespace, body: secret }),
      );
      return {
        owner: ref,
        usedAt: Date.now(),
        node: owner.data?.[OWNER_DATA.node],
        checkedOut: owner.data?.[OWNER_DATA.checkout] === 'done',
      };
    } catch (error) {
      if (error instanceof WorkspaceSetupError) throw error;
      const problem = apiProblem(error);
      if (problem.code && problem.code < 500) {
        throw new WorkspaceSetupError(
          `cannot create the run's workspace in namespace ${namespace}: ${problem.message}`,
        );
      }
      throw error;
    }
  }

  private async ensureOwner(runId: string): Promise<V1ConfigMap> {
    const namespace = this.api.namespace;
    try {
      return await this.api.core.createNamespacedConfigMap({ namespace, body: runOwnerManifest(runId) });
    } catch (error) {
      if (!isConflict(error)) throw error;
      const existing = await this.api.core.readNamespacedConfigMap({ name: ownerName(runId), namespace });
      if (existing.metadata?.deletionTimestamp) throw new WorkspaceSetupError('the run is being destroyed');
      return existing;
    }
  }

  private async createOrIgnore(
    create: () => Promise<unknown>,
    onConflict?: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await create();
    } catch (error) {
      if (!isConflict(error)) throw error;
      await onConflict?.();
    }
  }

  // Best effort: a lost annotation only makes another executor start unpinned or re-check out.
  private patchOwner(runId: string, body: object): void {
    this.api.core
      .patchNamespacedConfigMap(
        { name: ownerName(runId), namespace: this.api.namespace, body },
        KubeApi.mergePatch,
      )
      .catch((error: unknown) =>
        this.logger.warn({ runId, error: apiProblem(error).message }, 'run owner not updated'),
      );
  }
}

/** The same checks as the local checkout: a run names a commit sha or a ref, never an option. */
function checkTarget(run: RunSpec): void {
  const wanted = run.commitSha || run.gitRef;
  if (!wanted) throw new WorkspaceSetupError('the run names neither a commit nor a ref to check out');
  if (run.commitSha && !COMMIT_SHA.test(run.commitSha))
    throw new WorkspaceSetupError(`"${run.commitSha}" is not a commit sha`);
  if (wanted.startsWith('-')) throw new WorkspaceSetupError(`"${wanted}" is not a git ref`);
}
