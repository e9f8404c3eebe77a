import type { V1Toleration } from '@kubernetes/client-node';
import { StepSpec } from '../backend';
import { KubernetesBackendOptions } from './kubernetes.options';

/** An allow-list entry: `key` allows any value, `key=value` that value only. */
function allows(list: string[], key: string, value: string | undefined): boolean {
  return list.some((entry) => {
    const [allowedKey, allowedValue] = entry.split('=', 2);
    return allowedKey === key && (allowedValue === undefined || allowedValue === value);
  });
}

const describe = (list: string[]) => (list.length ? `it allows ${list.join(', ')}` : 'it allows none');

/**
 * Why the step's own node selector or tolerations may not be used here (each outside the
 * operator's allow-lists), in words the pipeline's author can act on; empty when all are allowed.
 */
export function placementProblems(step: StepSpec, options: KubernetesBackendOptions): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(step.nodeSelector ?? {})) {
    if (!allows(options.allowedNodeSelectors, key, value))
      problems.push(
        `node_selector ${key}: ${value} is not allowed on this cluster (KILN_K8S_ALLOWED_NODE_SELECTORS: ${describe(options.allowedNodeSelectors)})`,
      );
  }
  for (const t of step.tolerations ?? []) {
    const value = t.operator === 'Exists' ? undefined : t.value;
    // An Exists toleration tolerates every value of its key: only a key-wide entry allows it.
    const allowed =
      t.operator === 'Exists'
        ? options.allowedTolerations.includes(t.key)
        : allows(options.allowedTolerations, t.key, value);
    if (!allowed)
      problems.push(
        `toleration of ${t.key}${value === undefined ? '' : `=${value}`} is not allowed on this cluster (KILN_K8S_ALLOWED_TOLERATIONS: ${describe(options.allowedTolerations)})`,
      );
  }
  return problems;
}

/** The operator's node selector with the step's labels over it (the step wins on a shared key). */
export function stepNodeSelector(step: StepSpec, options: KubernetesBackendOptions): Record<string, string> {
  return { ...options.nodeSelector, ...step.nodeSelector };
}

export function stepTolerations(step: StepSpec): V1Toleration[] {
  return (step.tolerations ?? []).map((t) => ({
    key: t.key,
    operator: t.operator,
    ...(t.value !== undefined && t.operator === 'Equal' ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
  }));
}
