import type Docker from 'dockerode';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KubeObject, metaTime } from './kube-object';
import { ObjectStore, StoreEvent } from './object-store';
import { claimNames } from './pod-environment';
import { PodRuntime, RuntimeContext } from './pod-runtime';
import { NodeView, placePod, PodSchedulingSpec, podRequests, SimulatedNode } from './scheduling';

export type { SimulatedNode } from './scheduling';

/** How often an unschedulable pod is tried again. */
const RESCHEDULE_MS = 250;

export interface KubeletOptions {
  docker: Docker;
  pauseImage: Promise<string>;
  simulatorId: string;
  hostNetwork: boolean;
  hostReadOnlyPaths: string[];
  maxGraceMs: number;
  coarseLogTimestamps: boolean;
  dataDir: string;
  nodes: SimulatedNode[];
  /** Deletes a pod through the API (the taint manager evicting pods of a lost node). */
  deletePod(namespace: string, name: string): void;
}

/**
 * The scheduler, the kubelets of a few simulated nodes and the node lifecycle controller: binds new
 * pods to a node (round robin over the nodes that match), runs them, kills them on deletion, and
 * turns a lost node into NotReady pods that the taint manager deletes.
 */
export class Kubelet {
  readonly runtimes = new Map<string, PodRuntime>();
  readonly lostNodes = new Set<string>();
  private readonly terminating = new Set<string>();
  private readonly context: RuntimeContext;
  readonly pauseImage: Promise<string>;
  private nextNode = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: KubeletOptions,
  ) {
    this.pauseImage = options.pauseImage;
    this.context = {
      store,
      docker: options.docker,
      pauseImage: options.pauseImage,
      simulatorId: options.simulatorId,
      hostNetwork: options.hostNetwork,
      hostReadOnlyPaths: options.hostReadOnlyPaths,
      maxGraceMs: options.maxGraceMs,
      coarseLogTimestamps: options.coarseLogTimestamps,
      claimDir: (namespace, claim) => this.claimDir(namespace, claim),
      emptyDir: (podUid, volume) => emptyDir(join(options.dataDir, 'pods', podUid, 'volumes', volume)),
      podDir: (podUid) => join(options.dataDir, 'pods', podUid),
      waitForVolumes: (pod, node, cancelled) => this.waitForVolumes(pod, node, cancelled),
      loseNode: (node) => this.loseNode(node),
    };
    // Reactions run after the write that caused them has reached every watcher, as in a real cluster.
    store.on('event', (event: StoreEvent) => queueMicrotask(() => this.onEvent(event)));
  }

  runtime(namespace: string, name: string): PodRuntime | undefined {
    const pod = this.store.get('pods', namespace, name);
    return pod ? this.runtimes.get(pod.metadata.uid!) : undefined;
  }

  claimDir(namespace: string, claim: KubeObject): string {
    const dir = join(
      this.options.dataDir,
      'volumes',
      namespace,
      `${claim.metadata.name}-${claim.metadata.uid}`,
    );
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The node stops answering: its pods go NotReady and, after their toleration, are deleted. */
  loseNode(node: string): void {
    if (this.lostNodes.has(node)) return;
    this.lostNodes.add(node);
    for (const runtime of this.runtimes.values()) {
      if (runtime.node !== node || !runtime.active) continue;
      runtime.loseNode();
      this.markNotReady(runtime);
      const pod = this.store.get('pods', runtime.namespace, runtime.name);
      const toleration = ((pod?.spec as PodSchedulingSpec | undefined)?.tolerations ?? []).find(
        (t) => t.key === 'node.kubernetes.io/unreachable' && (t.effect === 'NoExecute' || !t.effect),
      );
      const delayMs = (toleration?.tolerationSeconds ?? 0) * 1000;
      setTimeout(() => this.evictForTaint(runtime), delayMs).unref();
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.kill()));
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource === 'persistentvolumeclaims' && event.type === 'DELETED') {
      rmSync(
        join(
          this.options.dataDir,
          'volumes',
          event.object.metadata.namespace ?? '',
          `${event.object.metadata.name}-${event.object.metadata.uid}`,
        ),
        {
          recursive: true,
          force: true,
        },
      );
    }
    if (event.resource !== 'pods') return;
    const pod = event.object;
    const uid = pod.metadata.uid!;
    if (event.type === 'ADDED') return void this.schedule(pod);
    const runtime = this.runtimes.get(uid);
    if (event.type === 'DELETED') {
      void runtime?.kill();
      this.runtimes.delete(uid);
      setTimeout(
        () => rmSync(join(this.options.dataDir, 'pods', uid), { recursive: true, force: true }),
        1000,
      ).unref();
      return;
    }
    if (pod.metadata.deletionTimestamp && runtime && !runtime.nodeLost && !this.terminating.has(uid)) {
      this.terminating.add(uid);
      const grace = pod.metadata.deletionGracePeriodSeconds ?? 30;
      void runtime.terminate(grace).then(() => this.store.remove('pods', runtime.namespace, runtime.name));
    }
  }

  /**
   * Binds the pod to a node that fits it; an unschedulable pod gets `PodScheduled=False` with the
   * scheduler's message and is tried again while it exists, as the scheduler's queue does.
   */
  private schedule(pod: KubeObject): void {
    const spec = pod.spec as PodSchedulingSpec;
    const namespace = pod.metadata.namespace ?? 'default';
    const current = this.store.get('pods', namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid || current.metadata.deletionTimestamp) return;
    const placement = spec.nodeName
      ? { node: spec.nodeName }
      : placePod(this.store, current, this.nodeViews(), this.nextNode);
    if ('unschedulable' in placement) {
      this.markUnschedulable(current, placement.unschedulable);
      setTimeout(() => this.schedule(pod), RESCHEDULE_MS).unref();
      return;
    }
    this.nextNode += 1;
    const node = placement.node;
    const runtime = new PodRuntime(this.context, namespace, pod.metadata.name, pod.metadata.uid!);
    this.runtimes.set(pod.metadata.uid!, runtime);
    this.store.update('pods', namespace, pod.metadata.name, (object) => {
      (object.spec as PodSchedulingSpec).nodeName = node;
    });
    void runtime.run(node);
  }

  private nodeViews(): NodeView[] {
    return this.options.nodes.map((node) => {
      const requested = { cpu: 0, memory: 0 };
      for (const runtime of this.runtimes.values()) {
        const pod =
          runtime.node === node.name && runtime.active
            ? this.store.get('pods', runtime.namespace, runtime.name)
            : undefined;
        if (!pod) continue;
        const requests = podRequests(pod.spec as PodSchedulingSpec);
        requested.cpu += requests.cpu;
        requested.memory += requests.memory;
      }
      return { node, lost: this.lostNodes.has(node.name), requested };
    });
  }

  private markUnschedulable(pod: KubeObject, message: string): void {
    const conditions = (pod.status as { conditions?: { type: string; message?: string }[] } | undefined)
      ?.conditions;
    if (conditions?.some((c) => c.type === 'PodScheduled' && c.message === message)) return;
    this.store.update('pods', pod.metadata.namespace ?? 'default', pod.metadata.name, (object) => {
      object.status = {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastTransitionTime: metaTime(),
          },
        ],
      };
    });
  }

  // A ReadWriteOnce volume attaches to one node at a time: a pod elsewhere waits until it is free.
  private async waitForVolumes(pod: KubeObject, node: string, cancelled: () => boolean): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    for (;;) {
      const busy = claimNames(pod).some((claimName) => {
        const claim = this.store.get('persistentvolumeclaims', namespace, claimName);
        const modes = ((claim?.spec as { accessModes?: string[] } | undefined)?.accessModes ??
          []) as string[];
        if (!modes.includes('ReadWriteOnce') && !modes.includes('ReadWriteOncePod')) return false;
        return [...this.runtimes.values()].some(
          (other) =>
            other.uid !== pod.metadata.uid &&
            other.active &&
            other.namespace === namespace &&
            (modes.includes('ReadWriteOncePod') || other.node !== node) &&
            claimNames(this.store.get('pods', namespace, other.name) ?? pod).includes(claimName),
        );
      });
      if (!busy || cancelled()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private markNotReady(runtime: PodRuntime): void {
    this.store.update('pods', runtime.namespace, runtime.name, (object) => {
      const status = object.status as { conditions?: { type: string; status: string }[] };
      status.conditions = (status.conditions ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False' } : c,
      );
    });
  }

  private evictForTaint(runtime: PodRuntime): void {
    const updated = this.store.update('pods', runtime.namespace, runtime.name, (object) => {
      const status = object.status as { conditions?: object[] };
      status.conditions = [
        ...(status.conditions ?? []),
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
          lastTransitionTime: metaTime(),
        },
      ];
    });
    if (updated) this.options.deletePod(runtime.namespace, runtime.name);
  }
}

// An emptyDir is world-writable, as the kubelet creates it.
function emptyDir(dir: string): string {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
  }
  return dir;
}
