import type { V1Pod } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApi, readIfPresent } from './kube-api';

export type PodListener = (pod: V1Pod, gone: boolean) => void;

/** A watch that stays open longer than this was healthy: the next reconnect starts without delay. */
const HEALTHY_WATCH_MS = 5000;
/** The API server ends watches after this; they are simply reopened. */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * Follows one pod's state through the watch API (never by polling): reads the pod, watches from its
 * resource version, and when the watch ends — timeout, broken connection, 410 Gone — reads it again
 * and re-watches. Reports the pod gone once it is deleted.
 */
export class PodWatcher {
  private readonly logger = new Logger(PodWatcher.name);
  private readonly stopper = new AbortController();
  private abortWatch?: AbortController;
  private last?: V1Pod;

  constructor(
    private readonly api: KubeApi,
    private readonly podName: string,
    private readonly listener: PodListener,
  ) {}

  start(initial?: V1Pod): void {
    this.last = initial;
    void this.loop();
  }

  stop(): void {
    this.stopper.abort();
    this.abortWatch?.abort();
  }

  private async loop(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopper.signal.aborted) {
      const began = Date.now();
      try {
        const pod = await readIfPresent(() =>
          this.api.core.readNamespacedPod({ name: this.podName, namespace: this.api.namespace }),
        );
        if (this.stopper.signal.aborted) return;
        if (!pod) return this.report(this.last ?? { metadata: { name: this.podName } }, true);
        this.report(pod, false);
        const gone = await this.watchFrom(pod.metadata?.resourceVersion);
        if (gone) return;
      } catch (error) {
        this.logger.warn(
          { pod: this.podName, error: (error as Error).message },
          'pod watch failed; retrying',
        );
      }
      backoffMs = Date.now() - began > HEALTHY_WATCH_MS ? 100 : Math.min(backoffMs * 2, 5000);
      await sleep(backoffMs, undefined, { signal: this.stopper.signal, ref: false }).catch(() => undefined);
    }
  }

  /** Resolves when the watch ends; true when it ended because the pod was deleted. */
  private watchFrom(resourceVersion: string | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      let gone = false;
      const query = {
        fieldSelector: `metadata.name=${this.podName}`,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_SECONDS,
      };
      const onEvent = (type: string, object: V1Pod) => {
        if (this.stopper.signal.aborted || gone) return;
        if (type === 'ADDED' || type === 'MODIFIED') this.report(object, false);
        if (type === 'DELETED') {
          gone = true;
          this.report(object, true);
          this.abortWatch?.abort();
        }
        // ERROR (410 Gone and the like): the stream ends; the loop re-reads the pod and watches anew.
        if (type === 'ERROR') this.abortWatch?.abort();
      };
      this.api.watch
        .watch(`/api/v1/namespaces/${this.api.namespace}/pods`, query, onEvent, () => resolve(gone))
        .then((controller) => {
          this.abortWatch = controller;
          if (this.stopper.signal.aborted) controller.abort();
        })
        .catch(() => resolve(false));
    });
  }

  private report(pod: V1Pod, gone: boolean): void {
    this.last = pod;
    this.listener(pod, gone);
  }
}
