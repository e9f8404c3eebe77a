/** The Pod Security Standards levels a namespace enforces (`pod-security.kubernetes.io/enforce`). */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

interface SecurityContextJson {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  seccompProfile?: { type?: string };
  capabilities?: { add?: string[]; drop?: string[] };
}

interface ContainerJson {
  name: string;
  securityContext?: SecurityContextJson;
  ports?: { hostPort?: number }[];
}

export interface PodSecuritySpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContextJson & { sysctls?: { name: string }[] };
  volumes?: Record<string, unknown>[];
  containers?: ContainerJson[];
  initContainers?: ContainerJson[];
}

/** Capabilities `baseline` lets a container add (the container runtimes' defaults). */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]); // prettier-ignore
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]); // prettier-ignore
/** The only volume sources `restricted` allows. */
const RESTRICTED_VOLUMES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]); // prettier-ignore

/**
 * What keeps a pod out of a namespace enforcing `level`, in the words of the admission
 * controller's checks (Pod Security Standards, latest): empty when the pod is admitted.
 */
export function podSecurityProblems(spec: PodSecuritySpec, level: PodSecurityLevel): string[] {
  if (level === 'privileged') return [];
  const problems = baselineProblems(spec);
  return level === 'restricted' ? [...problems, ...restrictedProblems(spec)] : problems;
}

function allContainers(spec: PodSecuritySpec): ContainerJson[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

function names(containers: ContainerJson[]): string {
  return containers.map((c) => `"${c.name}"`).join(', ');
}

/** One problem per rule, naming the containers that break it (as the admission message does). */
function containerRule(spec: PodSecuritySpec, what: string, breaks: (c: ContainerJson) => boolean): string[] {
  const bad = allContainers(spec).filter(breaks);
  return bad.length ? [`${what} (container${bad.length > 1 ? 's' : ''} ${names(bad)})`] : [];
}

function baselineProblems(spec: PodSecuritySpec): string[] {
  const pod = spec.securityContext ?? {};
  return [
    ...(spec.hostNetwork || spec.hostPID || spec.hostIPC
      ? ['host namespaces (hostNetwork, hostPID or hostIPC)']
      : []),
    ...containerRule(spec, 'privileged', (c) => c.securityContext?.privileged === true),
    ...containerRule(spec, 'non-default capabilities', (c) =>
      (c.securityContext?.capabilities?.add ?? []).some((cap) => !BASELINE_CAPABILITIES.has(cap)),
    ),
    ...((spec.volumes ?? []).some((v) => 'hostPath' in v) ? ['hostPath volumes'] : []),
    ...containerRule(spec, 'hostPort', (c) => (c.ports ?? []).some((p) => (p.hostPort ?? 0) !== 0)),
    ...containerRule(spec, 'procMount', (c) => (c.securityContext?.procMount ?? 'Default') !== 'Default'),
    ...(pod.seccompProfile?.type === 'Unconfined'
      ? ['seccompProfile (pod must not set it to Unconfined)']
      : []),
    ...containerRule(
      spec,
      'seccompProfile Unconfined',
      (c) => c.securityContext?.seccompProfile?.type === 'Unconfined',
    ),
    ...((pod.sysctls ?? []).some((s) => !SAFE_SYSCTLS.has(s.name)) ? ['forbidden sysctls'] : []),
  ];
}

function restrictedProblems(spec: PodSecuritySpec): string[] {
  const pod = spec.securityContext ?? {};
  const podSeccomp = ['RuntimeDefault', 'Localhost'].includes(pod.seccompProfile?.type ?? '');
  return [
    ...(spec.volumes ?? [])
      .filter((v) => !Object.keys(v).some((k) => RESTRICTED_VOLUMES.has(k)))
      .map((v) => `restricted volume types (volume "${String(v.name)}")`),
    ...containerRule(
      spec,
      'allowPrivilegeEscalation != false',
      (c) => c.securityContext?.allowPrivilegeEscalation !== false,
    ),
    ...containerRule(
      spec,
      'unrestricted capabilities (must drop ALL)',
      (c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'),
    ),
    ...containerRule(spec, 'unrestricted capabilities (may add only NET_BIND_SERVICE)', (c) =>
      (c.securityContext?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE'),
    ),
    ...containerRule(
      spec,
      'runAsNonRoot != true',
      (c) => (c.securityContext?.runAsNonRoot ?? pod.runAsNonRoot) !== true,
    ),
    ...(pod.runAsUser === 0 ? ['runAsUser=0 (pod)'] : []),
    ...containerRule(spec, 'runAsUser=0', (c) => c.securityContext?.runAsUser === 0),
    ...containerRule(spec, 'seccompProfile (must be RuntimeDefault or Localhost)', (c) => {
      const type = c.securityContext?.seccompProfile?.type;
      return type === undefined ? !podSeccomp : !['RuntimeDefault', 'Localhost'].includes(type);
    }),
  ];
}
