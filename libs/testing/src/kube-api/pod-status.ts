import { metaTime } from './kube-object';
import { ContainerJson } from './pod-environment';

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
        containerID: string;
      };
    };

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** A pod-level failure set by the node (eviction, deadline), written into the final status. */
export interface PodFailure {
  reason: string;
  message: string;
  condition?: Omit<Condition, 'lastTransitionTime'>;
}

/** What the kubelet knows about one pod and reports as its `status`: phase, conditions, containers. */
export class PodStatusBook {
  phase = 'Pending';
  failure?: PodFailure;
  private readonly states = new Map<string, ContainerState>();
  private readonly conditions = new Map<string, Condition>();

  get active(): boolean {
    return this.phase === 'Pending' || this.phase === 'Running';
  }

  set(container: string, state: ContainerState): void {
    this.states.set(container, state);
  }

  isRunning(container: string): boolean {
    return 'running' in (this.states.get(container) ?? {});
  }

  condition(type: string, status: 'True' | 'False', extra: { reason?: string; message?: string } = {}): void {
    const previous = this.conditions.get(type);
    const lastTransitionTime = previous?.status === status ? previous.lastTransitionTime : metaTime();
    this.conditions.set(type, { type, status, ...extra, lastTransitionTime });
  }

  /** The final phase, with the failure's reason and condition when the node ended the pod. */
  settle(): Record<string, unknown> {
    if (this.failure) {
      this.phase = 'Failed';
      if (this.failure.condition) this.condition(this.failure.condition.type, 'True', this.failure.condition);
    }
    if (!this.active) this.condition('Ready', 'False', { reason: 'PodCompleted' });
    return this.failure ? { reason: this.failure.reason, message: this.failure.message } : {};
  }

  toJson(spec: { containers: ContainerJson[]; initContainers?: ContainerJson[] }): Record<string, unknown> {
    const statusOf = (c: ContainerJson) => {
      const state = this.states.get(c.name) ?? { waiting: { reason: 'ContainerCreating' } };
      const running = 'running' in state;
      return {
        name: c.name,
        image: c.image,
        imageID: '',
        ready: running,
        restartCount: 0,
        started: running,
        state,
      };
    };
    return {
      phase: this.phase,
      conditions: [...this.conditions.values()],
      ...(spec.initContainers?.length ? { initContainerStatuses: spec.initContainers.map(statusOf) } : {}),
      containerStatuses: spec.containers.map(statusOf),
      qosClass: 'Burstable',
    };
  }
}
