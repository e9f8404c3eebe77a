import type Docker from 'dockerode';
import { KubeObject } from './kube-object';
import { ObjectStore } from './object-store';
import { ContainerJson } from './pod-environment';

interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
}

/** The registry host of an image reference, as the runtime reads it (`docker.io` without one). */
export function registryHost(image: string): string {
  const first = image.split('/')[0];
  const hasHost =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first : 'docker.io';
}

/** Tests reach no registry but their own on 127.0.0.1. */
function loopback(host: string): boolean {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
}

/** The kubelet's default: Always for `:latest` or no tag, else IfNotPresent. */
export function pullPolicy(container: ContainerJson): 'Always' | 'IfNotPresent' | 'Never' {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  if (container.image.includes('@')) return 'IfNotPresent';
  const last = container.image.slice(container.image.lastIndexOf('/') + 1);
  return !last.includes(':') || last.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

/**
 * Makes the container's image present on the engine as the kubelet would: kept when present
 * (unless the policy is Always), else pulled with the credentials of the pod's imagePullSecrets
 * for its registry. Answers the failure message (ErrImagePull's), or undefined when the image is there.
 */
export async function ensureImage(
  docker: Docker,
  store: ObjectStore,
  pod: KubeObject,
  container: ContainerJson,
): Promise<string | undefined> {
  const policy = pullPolicy(container);
  const present = await docker.getImage(container.image).inspect().then(() => true, () => false); // prettier-ignore
  if (present && policy !== 'Always') return undefined;
  const failed = (why: string) => `Failed to pull image "${container.image}": ${why}`;
  if (policy === 'Never')
    return `Container image "${container.image}" is not present with pull policy of Never`;
  const host = registryHost(container.image);
  if (!loopback(host))
    return failed(
      `rpc error: code = NotFound desc = failed to pull and unpack image "${container.image}": ${host} is not reachable from the simulator's nodes (only 127.0.0.1 registries)`,
    );
  try {
    const auth = pullSecretAuth(store, pod, host);
    const progress = await docker.pull(
      container.image,
      auth ? { authconfig: { ...auth, serveraddress: host } } : {},
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
    );
    return undefined;
  } catch (error) {
    return failed(
      `rpc error: code = Unknown desc = ${(error as Error).message.replace(/^\(HTTP code \d+\) [a-z ]+- /, '')}`,
    );
  }
}

/** Username and password for `host` from the pod's `kubernetes.io/dockerconfigjson` pull secrets. */
function pullSecretAuth(
  store: ObjectStore,
  pod: KubeObject,
  host: string,
): { username: string; password: string } | undefined {
  const refs = ((pod.spec as { imagePullSecrets?: { name: string }[] }).imagePullSecrets ?? []) as {
    name: string;
  }[];
  for (const ref of refs) {
    const secret = store.get('secrets', pod.metadata.namespace ?? 'default', ref.name);
    const data = (secret?.data ?? {}) as Record<string, string>;
    if (secret?.type !== 'kubernetes.io/dockerconfigjson' || !data['.dockerconfigjson']) continue;
    const config = JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8')) as {
      auths?: Record<string, RegistryAuth>;
    };
    const entry =
      config.auths?.[host] ?? config.auths?.[`http://${host}`] ?? config.auths?.[`https://${host}`];
    if (!entry) continue;
    if (entry.username !== undefined) return { username: entry.username, password: entry.password ?? '' };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}
