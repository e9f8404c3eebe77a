import type { ContainerCreateOptions } from 'dockerode';
import { ContainerConfigError, ContainerJson } from './pod-environment';

export interface SecurityContextJson {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}

export interface PodSecurityContextJson extends SecurityContextJson {
  fsGroup?: number;
  supplementalGroups?: number[];
}

/** What the runtime needs beyond the container spec to create it. */
export interface ContainerPlacement {
  podName: string;
  namespace: string;
  podSecurity: PodSecurityContextJson;
  /** The image's configured USER ('' when it has none: root). */
  imageUser: string;
  /** `container:<id>` of the pod's infra container. */
  networkMode: string;
  env: Record<string, string>;
  binds: string[];
  labels: Record<string, string>;
}

/**
 * The container's create options as a CRI runtime derives them from the pod: command/args over
 * the image's entrypoint/cmd, the effective security context (container over pod), fsGroup and
 * supplemental groups as extra groups, and limits as cgroup settings. runAsNonRoot is checked
 * against the user the container would run as, with the kubelet's messages.
 */
export function containerCreateOptions(
  container: ContainerJson,
  at: ContainerPlacement,
): ContainerCreateOptions {
  const security: SecurityContextJson = { ...at.podSecurity, ...container.securityContext };
  const user = effectiveUser(security, at.imageUser);
  if (security.runAsNonRoot) checkNonRoot(user, at, container.name);
  const limits = container.resources?.limits ?? {};
  return {
    Image: container.image,
    ...(container.command ? { Entrypoint: container.command, Cmd: container.args ?? [] } : {}),
    ...(!container.command && container.args ? { Cmd: container.args } : {}),
    Env: Object.entries(at.env).map(([name, value]) => `${name}=${value}`),
    WorkingDir: container.workingDir,
    User: user.spec,
    Labels: at.labels,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      NetworkMode: at.networkMode,
      IpcMode: at.networkMode,
      Binds: at.binds,
      CapAdd: security.capabilities?.add,
      CapDrop: security.capabilities?.drop,
      Privileged: security.privileged ?? false,
      ReadonlyRootfs: security.readOnlyRootFilesystem ?? false,
      SecurityOpt: [
        ...(security.allowPrivilegeEscalation === false ? ['no-new-privileges'] : []),
        ...(security.seccompProfile?.type === 'Unconfined' ? ['seccomp=unconfined'] : []),
      ],
      GroupAdd: [
        ...(at.podSecurity.fsGroup !== undefined ? [String(at.podSecurity.fsGroup)] : []),
        ...(at.podSecurity.supplementalGroups ?? []).map(String),
      ],
      // No swap beyond the limit, as the kubelet runs containers: the limit is what OOM-kills.
      ...(limits.memory ? { Memory: quantity(limits.memory), MemorySwap: quantity(limits.memory) } : {}),
      ...(limits.cpu ? { NanoCpus: Math.round(quantity(limits.cpu) * 1e9) } : {}),
    },
  };
}

interface EffectiveUser {
  /** Docker's `User`: uid[:gid], or the image's USER when the pod names none. */
  spec?: string;
  /** The image's USER when the pod does not override it: a name or a number. */
  imageName: string;
  uid?: number;
}

function effectiveUser(security: SecurityContextJson, imageUser: string): EffectiveUser {
  const [imageName, imageGroup] = imageUser.split(':');
  const uid = security.runAsUser ?? (/^\d+$/.test(imageName || '0') ? Number(imageName || '0') : undefined);
  const userPart = security.runAsUser !== undefined ? String(security.runAsUser) : imageName || '0';
  const groupPart = security.runAsGroup !== undefined ? String(security.runAsGroup) : imageGroup;
  const overridden = security.runAsUser !== undefined || security.runAsGroup !== undefined;
  return {
    spec: overridden ? `${userPart}${groupPart ? `:${groupPart}` : ''}` : undefined,
    imageName: imageName || '0',
    uid,
  };
}

function checkNonRoot(user: EffectiveUser, at: ContainerPlacement, container: string): void {
  const who = `(pod: "${at.podName}_${at.namespace}", container: ${container})`;
  if (user.uid === undefined)
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${user.imageName}), cannot verify user is non-root ${who}`,
    );
  if (user.uid === 0)
    throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${who}`);
}

const SUFFIXES: Record<string, number> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
}; // prettier-ignore

/** A Kubernetes quantity ('500m', '64Mi', '2') as a number of base units. */
export function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(text).trim());
  if (!match || (match[2] && !(match[2] in SUFFIXES)))
    throw new ContainerConfigError(`quantities must match the regular expression: "${text}"`);
  return Number(match[1]) * (match[2] ? SUFFIXES[match[2]] : 1);
}
