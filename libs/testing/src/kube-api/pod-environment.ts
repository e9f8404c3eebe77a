import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KubeObject } from './kube-object';
import type { SecurityContextJson } from './container-config';
import { ObjectStore } from './object-store';

/** A host directory bound into a container. */
export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerJson {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVarJson[];
  envFrom?: { prefix?: string; secretRef?: RefJson; configMapRef?: RefJson }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  securityContext?: SecurityContextJson;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  terminationMessagePath?: string;
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

interface RefJson {
  name: string;
  optional?: boolean;
}

interface EnvVarJson {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: RefJson & { key: string };
    configMapKeyRef?: RefJson & { key: string };
    fieldRef?: { fieldPath: string };
  };
}

interface VolumeJson {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: object;
}

/** Why a container cannot be created (the kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/** The container's environment as the kubelet builds it: envFrom first, then env, plus HOSTNAME. */
export function containerEnv(
  store: ObjectStore,
  pod: KubeObject,
  container: ContainerJson,
): Record<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = { HOSTNAME: pod.metadata.name };
  for (const source of container.envFrom ?? []) {
    const ref = source.secretRef ?? source.configMapRef;
    if (!ref) continue;
    const values = refData(store, namespace, source.secretRef ? 'secrets' : 'configmaps', ref);
    for (const [key, value] of Object.entries(values ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) env[variable.name] = envValue(store, pod, variable);
  return env;
}

/** Host directories for the container's volume mounts; PVC subPaths are created like the kubelet does. */
export function containerMounts(
  store: ObjectStore,
  pod: KubeObject,
  container: ContainerJson,
  dirs: { claimDir(namespace: string, claim: KubeObject): string; emptyDir(volume: string): string },
): VolumeMount[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const volumes = ((pod.spec as { volumes?: VolumeJson[] }).volumes ?? []) as VolumeJson[];
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = volumes.find((v) => v.name === mount.name);
    let base: string;
    if (volume?.persistentVolumeClaim) {
      const claim = store.get('persistentvolumeclaims', namespace, volume.persistentVolumeClaim.claimName);
      if (!claim)
        throw new ContainerConfigError(
          `persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" not found`,
        );
      base = dirs.claimDir(namespace, claim);
    } else if (volume?.emptyDir) {
      base = dirs.emptyDir(volume.name);
    } else {
      throw new ContainerConfigError(`volume "${mount.name}" has a type the simulator does not support`);
    }
    if (mount.subPath?.split('/').includes('..'))
      throw new ContainerConfigError(`subPath "${mount.subPath}" leaves the volume`);
    const hostPath = mount.subPath ? join(base, mount.subPath) : base;
    // Like the kubelet: a missing subPath gets the volume's mode (and, setgid, its fsGroup).
    if (!existsSync(hostPath)) {
      mkdirSync(hostPath, { recursive: true });
      chmodSync(hostPath, statSync(base).mode & 0o7777);
    }
    const readOnly = Boolean(mount.readOnly || volume.persistentVolumeClaim?.readOnly);
    return { hostPath, containerPath: mount.mountPath, readOnly };
  });
}

/** Names of the PVCs a pod mounts. */
export function claimNames(pod: KubeObject): string[] {
  const volumes = ((pod.spec as { volumes?: VolumeJson[] }).volumes ?? []) as VolumeJson[];
  return volumes.flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
}

function envValue(store: ObjectStore, pod: KubeObject, variable: EnvVarJson): string {
  const from = variable.valueFrom;
  if (!from) return variable.value ?? '';
  const namespace = pod.metadata.namespace ?? 'default';
  const keyRef = from.secretKeyRef ?? from.configMapKeyRef;
  if (keyRef) {
    const resource = from.secretKeyRef ? 'secrets' : 'configmaps';
    const values = refData(store, namespace, resource, keyRef);
    if (values === undefined) return '';
    if (!(keyRef.key in values)) {
      if (keyRef.optional) return '';
      const kind = resource === 'secrets' ? 'Secret' : 'ConfigMap';
      throw new ContainerConfigError(
        `couldn't find key ${keyRef.key} in ${kind} ${namespace}/${keyRef.name}`,
      );
    }
    return values[keyRef.key];
  }
  if (from.fieldRef) {
    const path = from.fieldRef.fieldPath;
    if (path === 'metadata.name') return pod.metadata.name;
    if (path === 'metadata.namespace') return namespace;
    if (path === 'spec.nodeName') return String((pod.spec as { nodeName?: string }).nodeName ?? '');
    const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
    if (label) return pod.metadata.labels?.[label[1]] ?? '';
  }
  throw new ContainerConfigError(`unsupported valueFrom for ${variable.name}`);
}

function refData(
  store: ObjectStore,
  namespace: string,
  resource: 'secrets' | 'configmaps',
  ref: RefJson,
): Record<string, string> | undefined {
  const object = store.get(resource, namespace, ref.name);
  if (!object) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(
      `${resource === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" not found`,
    );
  }
  const data = (object.data ?? {}) as Record<string, string>;
  if (resource === 'configmaps') return data;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}
