import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { KubeApi } from './kube-api';
import { ANNOTATION, LABEL, managedSelector } from './names';

/**
 * The runs whose objects in the namespace are orphans: not active on this executor, no pod of
 * theirs still pending or running (another executor may be running a step), and nothing about
 * them created or touched since `before` (another executor may be between two steps of the run).
 */
export async function orphanedRuns(
  api: KubeApi,
  before: Date,
  active: ReadonlySet<string>,
): Promise<string[]> {
  const namespace = api.namespace;
  const labelSelector = managedSelector;
  // Secrets are not listed (RBAC grants no list on them): they are owned by the run owner and go with it.
  const [owners, pods, claims] = await Promise.all([
    api.core.listNamespacedConfigMap({ namespace, labelSelector }),
    api.core.listNamespacedPod({ namespace, labelSelector }),
    api.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
  ]);
  const lastTouched = new Map<string, number>();
  const live = new Set<string>();
  const note = (meta: V1ObjectMeta | undefined) => {
    const runId = meta?.labels?.[LABEL.run];
    if (!runId) return;
    const times = [meta?.creationTimestamp, meta?.annotations?.[ANNOTATION.lastActive]].map(toMillis);
    lastTouched.set(runId, Math.max(lastTouched.get(runId) ?? 0, ...times));
  };
  for (const list of [owners.items, claims.items]) for (const item of list) note(item.metadata);
  for (const pod of pods.items) {
    note(pod.metadata);
    if (isLive(pod, before)) live.add(pod.metadata!.labels![LABEL.run]);
  }
  return [...lastTouched.entries()]
    .filter(([runId, touched]) => !active.has(runId) && !live.has(runId) && touched < before.getTime())
    .map(([runId]) => runId);
}

// A pod pending since before `before` (unschedulable, image never pulled) no longer keeps its run.
function isLive(pod: V1Pod, before: Date): boolean {
  const phase = pod.status?.phase;
  if (pod.metadata?.deletionTimestamp) return false;
  return (
    phase === 'Running' ||
    (phase === 'Pending' && toMillis(pod.metadata?.creationTimestamp) >= before.getTime())
  );
}

function toMillis(value: Date | string | undefined): number {
  if (!value) return 0;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
