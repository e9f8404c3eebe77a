import { quantity } from './container-config';
import { KubeObject } from './kube-object';
import { ObjectStore } from './object-store';
import { claimNames, ContainerJson } from './pod-environment';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface SimulatedNode {
  name: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** What pods may request on the node (`cpu`, `memory` quantities); unset: unlimited. */
  allocatable?: { cpu?: string; memory?: string };
}

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface PodSchedulingSpec {
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  tolerations?: Toleration[];
  containers: ContainerJson[];
  initContainers?: ContainerJson[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms: {
          matchExpressions?: NodeSelectorRequirement[];
          matchFields?: NodeSelectorRequirement[];
        }[];
      };
    };
  };
}

/** What the scheduler sees of a node: the node and the requests of the pods bound to it. */
export interface NodeView {
  node: SimulatedNode;
  lost: boolean;
  requested: { cpu: number; memory: number };
}

export type Placement = { node: string } | { unschedulable: string };

/**
 * The default scheduler's filters, as far as Kiln's pods meet them: every PVC bound, node
 * selector and required node affinity, NoSchedule/NoExecute taints tolerated, CPU and memory
 * requests within what the node has left. Answers the chosen node, or the scheduler's message.
 */
export function placePod(store: ObjectStore, pod: KubeObject, nodes: NodeView[], pick: number): Placement {
  const spec = pod.spec as PodSchedulingSpec;
  const total = `0/${nodes.length} nodes are available`;
  const claimProblem = unboundClaim(store, pod);
  if (claimProblem)
    return {
      unschedulable: `${total}: ${claimProblem}. preemption: ${total}: ${nodes.length} Preemption is not helpful for scheduling.`,
    };
  const reasons = new Map<string, number>();
  const fitting = nodes.filter((view) => {
    const reason = misfit(spec, view);
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    return !reason;
  });
  if (fitting.length > 0) return { node: fitting[pick % fitting.length].node.name };
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return { unschedulable: `${total}: ${parts.join(', ')}.` };
}

/** The pod's CPU (cores) and memory (bytes) requests as the scheduler sums them. */
export function podRequests(spec: PodSchedulingSpec): { cpu: number; memory: number } {
  const of = (c: ContainerJson, name: 'cpu' | 'memory') => {
    const value = c.resources?.requests?.[name] ?? c.resources?.limits?.[name];
    return value ? quantity(value) : 0;
  };
  const sum = (name: 'cpu' | 'memory') =>
    Math.max(
      spec.containers.reduce((total, c) => total + of(c, name), 0),
      ...(spec.initContainers ?? []).map((c) => of(c, name)),
    );
  return { cpu: sum('cpu'), memory: sum('memory') };
}

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      (t.key === undefined || t.key === '' ? t.operator === 'Exists' : t.key === taint.key) &&
      (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')),
  );
}

function misfit(spec: PodSchedulingSpec, view: NodeView): string | undefined {
  if (view.lost) return 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }';
  if (!matchesNode(spec, view.node)) return "node(s) didn't match Pod's node affinity/selector";
  const taint = (view.node.taints ?? []).find(
    (t) => t.effect !== 'PreferNoSchedule' && !tolerates(spec.tolerations ?? [], t),
  );
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  const wanted = podRequests(spec);
  const allocatable = view.node.allocatable ?? {};
  for (const name of ['cpu', 'memory'] as const) {
    const limit = allocatable[name];
    if (limit !== undefined && view.requested[name] + wanted[name] > quantity(limit))
      return `Insufficient ${name}`;
  }
  return undefined;
}

function unboundClaim(store: ObjectStore, pod: KubeObject): string | undefined {
  for (const name of claimNames(pod)) {
    const claim = store.get('persistentvolumeclaims', pod.metadata.namespace ?? 'default', name);
    if (!claim) return `persistentvolumeclaim "${name}" not found`;
    if ((claim.status as { phase?: string } | undefined)?.phase !== 'Bound')
      return 'pod has unbound immediate PersistentVolumeClaims';
  }
  return undefined;
}

function matchesNode(spec: PodSchedulingSpec, node: SimulatedNode): boolean {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': node.name, ...node.labels };
  const selectorOk = Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const affinityOk =
    !terms ||
    terms.some(
      (term) =>
        (term.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
        (term.matchFields ?? []).every((r) =>
          requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined),
        ),
    );
  return selectorOk && affinityOk;
}

function requirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && (requirement.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(requirement.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}
