import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { invalid } from './api-status';
import { KubeObject, RESOURCES, ResourceName } from './kube-object';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_SECRET_BYTES = 1024 * 1024;

const MODELS = {
  pods: Pod,
  persistentvolumeclaims: PersistentVolumeClaim,
  secrets: Secret,
  configmaps: ConfigMap,
};

type Cause = { field: string; message: string };

/** Validates an object as kube-apiserver would before storing it; throws 422 Invalid with every cause. */
export function validateObject(resource: ResourceName, object: KubeObject): void {
  const kind = RESOURCES[resource].kind;
  const causes = [
    ...schemaCauses(resource, object),
    ...metadataCauses(object),
    ...resourceCauses(resource, object),
  ];
  if (causes.length > 0) throw invalid(kind, object.metadata?.name ?? '', causes);
}

/** The official Kubernetes JSON schema (kubernetes-models) for the object's kind. */
export function schemaCauses(resource: ResourceName, object: KubeObject): Cause[] {
  try {
    new MODELS[resource](object as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) return [{ field: '', message: (error as Error).message }];
    return errors.map((e) => ({
      field: e.instancePath.slice(1).replace(/\//g, '.'),
      message: e.message ?? 'invalid',
    }));
  }
}

function metadataCauses(object: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const meta = object.metadata ?? { name: '' };
  if (!meta.name)
    causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name)) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain`,
    });
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    if (!validQualifiedName(key))
      causes.push({ field: `metadata.labels`, message: `Invalid value: "${key}": bad label key` });
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push({
        field: `metadata.labels`,
        message: `Invalid value: "${value}": a valid label must be 63 characters or less`,
      });
    }
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    if (!validQualifiedName(key))
      causes.push({ field: 'metadata.annotations', message: `Invalid value: "${key}"` });
  }
  for (const [i, ref] of (meta.ownerReferences ?? []).entries()) {
    if (!ref.uid || !ref.name || !ref.kind || !ref.apiVersion) {
      causes.push({
        field: `metadata.ownerReferences[${i}]`,
        message: 'Required value: apiVersion, kind, name and uid',
      });
    }
  }
  return causes;
}

function resourceCauses(resource: ResourceName, object: KubeObject): Cause[] {
  if (resource === 'pods') return podCauses(object);
  if (resource === 'secrets') return secretCauses(object);
  return [];
}

interface ContainerJson {
  name: string;
  image?: string;
  env?: { name: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function podCauses(pod: KubeObject): Cause[] {
  const spec = (pod.spec ?? {}) as {
    containers?: ContainerJson[];
    initContainers?: ContainerJson[];
    volumes?: { name: string }[];
    restartPolicy?: string;
  };
  const causes: Cause[] = [];
  if (!spec.containers?.length) causes.push({ field: 'spec.containers', message: 'Required value' });
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    causes.push({ field: 'spec.restartPolicy', message: `Unsupported value: "${spec.restartPolicy}"` });
  }
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const names = new Set<string>();
  for (const [group, containers] of [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers ?? []],
  ] as const) {
    for (const [i, c] of containers.entries()) {
      const field = `spec.${group}[${i}]`;
      if (!DNS_LABEL.test(c.name ?? ''))
        causes.push({ field: `${field}.name`, message: `Invalid value: "${c.name}"` });
      if (names.has(c.name)) causes.push({ field: `${field}.name`, message: `Duplicate value: "${c.name}"` });
      names.add(c.name);
      if (!c.image) causes.push({ field: `${field}.image`, message: 'Required value' });
      for (const e of c.env ?? []) {
        if (!ENV_NAME.test(e.name))
          causes.push({ field: `${field}.env`, message: `Invalid value: "${e.name}"` });
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name))
          causes.push({ field: `${field}.volumeMounts.name`, message: `Not found: "${m.name}"` });
      }
    }
  }
  return causes;
}

function secretCauses(secret: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const data = { ...((secret.data as Record<string, string>) ?? {}) };
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) {
    if (!SECRET_KEY.test(key))
      causes.push({
        field: `data[${key}]`,
        message: 'a valid config key must consist of alphanumeric characters, -, _ or .',
      });
    if (typeof value !== 'string' || !BASE64.test(value))
      causes.push({ field: `data[${key}]`, message: 'illegal base64 data' });
    bytes += Buffer.from(String(value), 'base64').length;
  }
  for (const [key, value] of Object.entries((secret.stringData as Record<string, string>) ?? {})) {
    if (!SECRET_KEY.test(key)) causes.push({ field: `stringData[${key}]`, message: 'invalid key' });
    bytes += Buffer.byteLength(String(value));
  }
  if (bytes > MAX_SECRET_BYTES)
    causes.push({ field: 'data', message: `Too long: must have at most ${MAX_SECRET_BYTES} bytes` });
  return causes;
}

function validQualifiedName(key: string): boolean {
  const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}
