import type { V1Toleration } from '@kubernetes/client-node';
import { EnvBoolean } from '@kiln/config';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { KUBERNETES_DEFAULTS, KubernetesBackendOptions, WorkspaceAccessMode } from './kubernetes.options';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_LIST = /^\s*[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\s*,\s*[a-z0-9]([-a-z0-9.]*[a-z0-9])?)*\s*$/;
const CPU_QUANTITY = /^[0-9]+(\.[0-9]+)?m?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
// Comma-separated allow-list entries: a label or taint key (any value), or key=value.
const KEY = '([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?';
const ALLOW_LIST = new RegExp(`^\\s*(${KEY}(=[-A-Za-z0-9_.]*)?)(\\s*,\\s*${KEY}(=[-A-Za-z0-9_.]*)?)*\\s*$`);
const TOLERATION_KEYS = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds']);

/**
 * Variables of the kubernetes backend (read only when KILN_EXECUTOR_BACKEND=kubernetes matters,
 * but validated always so a typo stops the executor by name).
 */
export class KubernetesEnv {
  /** Namespace of step pods, their secrets and run volumes. */
  @Matches(DNS_LABEL, { message: 'must be a namespace name (lowercase letters, digits and -)' })
  KILN_K8S_NAMESPACE: string = KUBERNETES_DEFAULTS.namespace;

  /** Service account of step pods; its token is never mounted. */
  @IsOptional()
  @Matches(DNS_LABEL, { message: 'must be a service account name' })
  KILN_K8S_SERVICE_ACCOUNT?: string;

  /** Storage class of run workspace volumes (unset: the cluster default). */
  @IsOptional() @IsString() KILN_K8S_STORAGE_CLASS?: string;

  @Matches(QUANTITY, { message: 'must be a Kubernetes quantity such as 5Gi' })
  KILN_K8S_WORKSPACE_SIZE: string = KUBERNETES_DEFAULTS.workspaceSize;

  /** ReadWriteOnce pins a run's pods to one node; ReadWriteMany lets them spread. */
  @IsIn(['ReadWriteOnce', 'ReadWriteMany']) KILN_K8S_ACCESS_MODE: WorkspaceAccessMode =
    KUBERNETES_DEFAULTS.accessMode;

  /** JSON object of node labels, e.g. {"kiln.dev/builds":"true"}. */
  @IsOptional()
  @ValidateBy({
    name: 'nodeSelectorJson',
    validator: {
      validate: (v) => nodeSelectorProblem(v) === undefined,
      defaultMessage: (a) => nodeSelectorProblem(a?.value) ?? '',
    },
  })
  KILN_K8S_NODE_SELECTOR?: string;

  /** JSON array of tolerations, e.g. [{"key":"builds","operator":"Exists","effect":"NoSchedule"}]. */
  @IsOptional()
  @ValidateBy({
    name: 'tolerationsJson',
    validator: {
      validate: (v) => tolerationsProblem(v) === undefined,
      defaultMessage: (a) => tolerationsProblem(a?.value) ?? '',
    },
  })
  KILN_K8S_TOLERATIONS?: string;

  /**
   * Node labels a step may name in its `node_selector`: comma-separated keys (any value) or
   * key=value pairs. Unset: steps may name none.
   */
  @IsOptional()
  @Matches(ALLOW_LIST, { message: 'must be label keys or key=value pairs separated by commas' })
  KILN_K8S_ALLOWED_NODE_SELECTORS?: string;

  /** Taint keys (or key=value) a step may tolerate in its `tolerations`, comma-separated. */
  @IsOptional()
  @Matches(ALLOW_LIST, { message: 'must be taint keys or key=value pairs separated by commas' })
  KILN_K8S_ALLOWED_TOLERATIONS?: string;

  /** Image with sh, git, flock and tar (clones the repository, copies artifacts out). */
  @IsString() KILN_K8S_HELPER_IMAGE: string = KUBERNETES_DEFAULTS.helperImage;

  /** Image that builds `build:` steps (kaniko's executor). */
  @IsString() KILN_K8S_KANIKO_IMAGE: string = KUBERNETES_DEFAULTS.kanikoImage;

  /** Kubeconfig file; unset: in-cluster credentials when running in a pod, else ~/.kube/config. */
  @IsOptional() @IsString() KILN_KUBECONFIG?: string;

  /** Seconds a cancelled or timed-out step gets between SIGTERM and SIGKILL. */
  @IsInt() @Min(0) @Max(3600) KILN_K8S_KILL_GRACE_SECONDS: number =
    KUBERNETES_DEFAULTS.killGracePeriodSeconds;

  /** Seconds a step pod stays on an unreachable node before it is evicted and the step fails. */
  @IsInt() @Min(0) @Max(3600) KILN_K8S_NODE_LOST_SECONDS: number =
    KUBERNETES_DEFAULTS.nodeLostTolerationSeconds;

  /**
   * Seconds a step pod may stay unscheduled (no node fits it, its volume claim unbound) before
   * the step fails with the scheduler's reason.
   */
  @IsInt() @Min(1) @Max(86_400) KILN_K8S_SCHEDULE_TIMEOUT: number =
    KUBERNETES_DEFAULTS.scheduleTimeoutSeconds;

  /** Uid of steps that name no `user:` (unset: 1000, or the image's user with KILN_K8S_ALLOW_ROOT). */
  @IsOptional() @IsInt() @Min(1) KILN_K8S_STEP_RUN_AS_USER?: number;

  /** Steps may run as root (their image's user or `user: 0`); their pods then need PSA baseline. */
  @EnvBoolean() KILN_K8S_ALLOW_ROOT: boolean = KUBERNETES_DEFAULTS.allowRoot;

  /** CPU request and limit of steps without `resources.cpu`. */
  @Matches(CPU_QUANTITY, { message: 'must be a CPU quantity such as 500m or 2' })
  KILN_K8S_DEFAULT_CPU: string = KUBERNETES_DEFAULTS.defaultResources.cpu;

  /** Memory request and limit of steps without `resources.memory`. */
  @Matches(QUANTITY, { message: 'must be a Kubernetes quantity such as 2Gi' })
  KILN_K8S_DEFAULT_MEMORY: string = KUBERNETES_DEFAULTS.defaultResources.memory;

  /** Comma-separated names of dockerconfigjson Secrets in the namespace, given to every pod. */
  @IsOptional()
  @Matches(SECRET_LIST, { message: 'must be Secret names separated by commas' })
  KILN_K8S_IMAGE_PULL_SECRETS?: string;

  /** RuntimeClass of step pods (e.g. gvisor, kata) for a stronger sandbox. */
  @IsOptional()
  @Matches(DNS_SUBDOMAIN, { message: 'must be a RuntimeClass name' })
  KILN_K8S_RUNTIME_CLASS?: string;

  /** PriorityClass of step pods (e.g. a low one so apps are never preempted by builds). */
  @IsOptional()
  @Matches(DNS_SUBDOMAIN, { message: 'must be a PriorityClass name' })
  KILN_K8S_PRIORITY_CLASS?: string;
}

/** The backend options for validated variables (JSON ones parsed). */
export function kubernetesOptionsFromEnv(env: KubernetesEnv, executorId?: string): KubernetesBackendOptions {
  return {
    ...KUBERNETES_DEFAULTS,
    namespace: env.KILN_K8S_NAMESPACE,
    serviceAccount: env.KILN_K8S_SERVICE_ACCOUNT,
    storageClass: env.KILN_K8S_STORAGE_CLASS,
    workspaceSize: env.KILN_K8S_WORKSPACE_SIZE,
    accessMode: env.KILN_K8S_ACCESS_MODE,
    nodeSelector: env.KILN_K8S_NODE_SELECTOR ? JSON.parse(env.KILN_K8S_NODE_SELECTOR) : {},
    tolerations: env.KILN_K8S_TOLERATIONS ? JSON.parse(env.KILN_K8S_TOLERATIONS) : [],
    allowedNodeSelectors: allowList(env.KILN_K8S_ALLOWED_NODE_SELECTORS),
    allowedTolerations: allowList(env.KILN_K8S_ALLOWED_TOLERATIONS),
    helperImage: env.KILN_K8S_HELPER_IMAGE,
    kanikoImage: env.KILN_K8S_KANIKO_IMAGE,
    kubeconfigPath: env.KILN_KUBECONFIG,
    killGracePeriodSeconds: env.KILN_K8S_KILL_GRACE_SECONDS,
    scheduleTimeoutSeconds: env.KILN_K8S_SCHEDULE_TIMEOUT,
    nodeLostTolerationSeconds: env.KILN_K8S_NODE_LOST_SECONDS,
    stepRunAsUser:
      env.KILN_K8S_STEP_RUN_AS_USER ??
      (env.KILN_K8S_ALLOW_ROOT ? undefined : KUBERNETES_DEFAULTS.stepRunAsUser),
    allowRoot: env.KILN_K8S_ALLOW_ROOT,
    defaultResources: { cpu: env.KILN_K8S_DEFAULT_CPU, memory: env.KILN_K8S_DEFAULT_MEMORY },
    imagePullSecrets: allowList(env.KILN_K8S_IMAGE_PULL_SECRETS),
    runtimeClassName: env.KILN_K8S_RUNTIME_CLASS,
    priorityClassName: env.KILN_K8S_PRIORITY_CLASS,
    executorId,
  };
}

function allowList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function parseJson(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof value !== 'string') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    // Not JSON at all: reported by the caller as the variable's problem.
    return { ok: false };
  }
}

function nodeSelectorProblem(raw: unknown): string | undefined {
  const parsed = parseJson(raw);
  if (!parsed.ok) return 'must be a JSON object';
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be a JSON object of label: value';
  if (Object.values(value).some((v) => typeof v !== 'string'))
    return 'every node selector value must be a string';
  return undefined;
}

function tolerationsProblem(raw: unknown): string | undefined {
  const parsed = parseJson(raw);
  if (!parsed.ok || !Array.isArray(parsed.value)) return 'must be a JSON array of tolerations';
  for (const [i, item] of (parsed.value as V1Toleration[]).entries()) {
    if (typeof item !== 'object' || item === null) return `toleration ${i} must be an object`;
    const unknown = Object.keys(item).filter((k) => !TOLERATION_KEYS.has(k));
    if (unknown.length) return `toleration ${i} has unknown fields: ${unknown.join(', ')}`;
    if (item.operator && !['Exists', 'Equal'].includes(item.operator))
      return `toleration ${i}: operator must be Exists or Equal`;
    if (item.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(item.effect)) {
      return `toleration ${i}: effect must be NoSchedule, PreferNoSchedule or NoExecute`;
    }
  }
  return undefined;
}
