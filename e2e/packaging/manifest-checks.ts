import { describeObject, K8sObject } from './k8s-schema';

/* Checks across rendered objects that no schema can make: selectors that select, references
   that resolve, probes where the apps serve them. Each returns human-readable problems. */

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: Ref; configMapKeyRef?: Ref } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: Record<string, unknown>;
}
interface Ref {
  name: string;
  key: string;
  optional?: boolean;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'Job'];

export function podTemplate(o: K8sObject): PodTemplate | undefined {
  return WORKLOADS.includes(o.kind) ? (o.spec as { template: PodTemplate }).template : undefined;
}

const ns = (o: K8sObject): string => o.metadata.namespace ?? '';

function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function find(objects: K8sObject[], kind: string, namespace: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && ns(o) === namespace && o.metadata.name === name);
}

/** Every (kind, namespace, name) appears once. */
export function duplicateProblems(objects: K8sObject[]): string[] {
  const seen = new Set<string>();
  return objects.flatMap((o) => {
    const key = describeObject(o);
    if (seen.has(key)) return [`${key} is defined twice`];
    seen.add(key);
    return [];
  });
}

/** Selectors of workloads, Services, PDBs and NetworkPolicy peers select pods that exist. */
export function selectorProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const pods = objects.flatMap((o) => {
    const t = podTemplate(o);
    return t ? [{ owner: o, labels: t.metadata?.labels ?? {}, spec: t.spec }] : [];
  });
  for (const o of objects) {
    const spec = o.spec as Record<string, unknown> | undefined;
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      const selector = (spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels;
      if (!selects(selector, podTemplate(o)?.metadata?.labels))
        problems.push(`${describeObject(o)}: selector does not match its pod template`);
    }
    if (o.kind === 'Service') {
      const selector = spec?.selector as Record<string, string> | undefined;
      const targets = pods.filter(
        (p) => ns(p.owner) === ns(o) && p.owner.kind !== 'Job' && selects(selector, p.labels),
      );
      if (targets.length === 0) problems.push(`${describeObject(o)}: selects no pods`);
      for (const port of (spec?.ports as { name: string; targetPort?: string | number }[]) ?? []) {
        if (typeof port.targetPort !== 'string') continue;
        const named = targets.every((t) =>
          t.spec.containers.some((c) => c.ports?.some((p) => p.name === port.targetPort)),
        );
        if (!named)
          problems.push(
            `${describeObject(o)}: targetPort ${port.targetPort} is not a container port of its pods`,
          );
      }
    }
    if (o.kind === 'PodDisruptionBudget') {
      const selector = (spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels;
      if (!pods.some((p) => ns(p.owner) === ns(o) && selects(selector, p.labels)))
        problems.push(`${describeObject(o)}: selects no pods`);
    }
  }
  return problems;
}

/** ConfigMaps, Secrets and ServiceAccounts that pods name exist (or are supplied by the operator). */
export function referenceProblems(objects: K8sObject[], externalSecrets: string[] = []): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const t = podTemplate(o);
    if (!t) continue;
    const where = describeObject(o);
    const secretExists = (name: string) =>
      !!find(objects, 'Secret', ns(o), name) || externalSecrets.includes(name);
    const account = t.spec.serviceAccountName;
    if (account && !find(objects, 'ServiceAccount', ns(o), account))
      problems.push(`${where}: service account ${account} is not defined`);
    for (const c of [...t.spec.containers, ...(t.spec.initContainers ?? [])]) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !find(objects, 'ConfigMap', ns(o), from.configMapRef.name)) {
          problems.push(`${where}: ConfigMap ${from.configMapRef.name} is not defined`);
        }
        if (from.secretRef && !secretExists(from.secretRef.name))
          problems.push(`${where}: Secret ${from.secretRef.name} is not defined`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !ref.optional && !secretExists(ref.name))
          problems.push(`${where}: ${e.name} names Secret ${ref.name}, which is not defined`);
        const secret = ref && find(objects, 'Secret', ns(o), ref.name);
        if (ref && secret && !ref.optional && !secretKeys(secret).includes(ref.key)) {
          problems.push(`${where}: ${e.name} names key ${ref.key}, which Secret ${ref.name} lacks`);
        }
      }
    }
  }
  for (const o of objects.filter((x) => x.kind === 'RoleBinding')) {
    const roleRef = o.roleRef as { kind: string; name: string };
    if (roleRef.kind === 'Role' && !find(objects, 'Role', ns(o), roleRef.name))
      problems.push(`${describeObject(o)}: Role ${roleRef.name} is not defined`);
    for (const s of (o.subjects as { kind: string; name: string; namespace?: string }[]) ?? []) {
      if (s.kind === 'ServiceAccount' && !find(objects, 'ServiceAccount', s.namespace ?? ns(o), s.name)) {
        problems.push(`${describeObject(o)}: subject ServiceAccount ${s.namespace}/${s.name} is not defined`);
      }
    }
  }
  for (const o of objects.filter((x) => x.kind === 'Ingress')) {
    const rules = (
      o.spec as {
        rules: { http: { paths: { backend: { service: { name: string; port: { name?: string } } } }[] } }[];
      }
    ).rules;
    for (const path of rules.flatMap((r) => r.http.paths)) {
      const service = find(objects, 'Service', ns(o), path.backend.service.name);
      const ports = (service?.spec as { ports: { name: string }[] } | undefined)?.ports ?? [];
      if (!service)
        problems.push(`${describeObject(o)}: Service ${path.backend.service.name} is not defined`);
      else if (
        path.backend.service.port.name &&
        !ports.some((p) => p.name === path.backend.service.port.name)
      ) {
        problems.push(
          `${describeObject(o)}: Service ${path.backend.service.name} has no port ${path.backend.service.port.name}`,
        );
      }
    }
  }
  return problems;
}

export function secretKeys(secret: K8sObject): string[] {
  return [...Object.keys((secret.data as object) ?? {}), ...Object.keys((secret.stringData as object) ?? {})];
}

/** The environment a container sees: its own variables plus those of ConfigMaps it loads. */
export function containerEnv(
  objects: K8sObject[],
  owner: K8sObject,
  c: Container,
): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const from of c.envFrom ?? []) {
    const map = from.configMapRef && find(objects, 'ConfigMap', ns(owner), from.configMapRef.name);
    for (const [k, v] of Object.entries((map?.data as Record<string, string>) ?? {})) env.set(k, v);
  }
  for (const e of c.env ?? [])
    env.set(
      e.name,
      e.value ?? (e.valueFrom?.secretKeyRef ? `secret:${e.valueFrom.secretKeyRef.name}` : undefined),
    );
  return env;
}

export type { Container };
