/** The parts of an object's metadata the simulator reads and writes (wire JSON, camelCase). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  generateName?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any stored object, as JSON on the wire. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** The namespaced core/v1 resources the simulator serves. */
export const RESOURCES = {
  pods: { kind: 'Pod', listKind: 'PodList' },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', listKind: 'PersistentVolumeClaimList' },
  secrets: { kind: 'Secret', listKind: 'SecretList' },
  configmaps: { kind: 'ConfigMap', listKind: 'ConfigMapList' },
} as const;

export type ResourceName = keyof typeof RESOURCES;

export function isResource(name: string): name is ResourceName {
  return Object.prototype.hasOwnProperty.call(RESOURCES, name);
}

export function resourceOfKind(kind: string): ResourceName | undefined {
  return (Object.keys(RESOURCES) as ResourceName[]).find((r) => RESOURCES[r].kind === kind);
}

/** RFC 3339 with seconds, as the API server writes metadata timestamps. */
export function metaTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
