import type { KubeConfig, V1Toleration } from '@kubernetes/client-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type WorkspaceAccessMode = 'ReadWriteOnce' | 'ReadWriteMany';

/** Everything the kubernetes backend is configured with; `kubernetesOptionsFromEnv` builds it from env. */
export interface KubernetesBackendOptions {
  /** Namespace of the step pods, their secrets and the run volumes. */
  namespace: string;
  /** Kubeconfig file; unset means in-cluster config when running in a pod, else ~/.kube/config. */
  kubeconfigPath?: string;
  /** A ready client configuration (tests); wins over `kubeconfigPath`. */
  kubeConfig?: KubeConfig;
  /** Service account of step pods (its token is never mounted). */
  serviceAccount?: string;
  /** Storage class of run volumes; unset uses the cluster default. */
  storageClass?: string;
  workspaceSize: string;
  /** With ReadWriteOnce, every pod of a run is pinned to the node of its first pod. */
  accessMode: WorkspaceAccessMode;
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  /** What a step's own `node_selector` may name: label keys (any value) or `key=value` (that value). */
  allowedNodeSelectors: string[];
  /** What a step's own `tolerations` may tolerate: taint keys (any value) or `key=value`. */
  allowedTolerations: string[];
  /** Image with sh, git, flock and tar: clones the repository and copies artifacts out. */
  helperImage: string;
  /** Builds build steps' images (kaniko's executor; the debug tag has a shell for the log). */
  kanikoImage: string;
  /** Labelled on pods so `kubectl get pods -l kiln.dev/executor=…` shows one executor's work. */
  executorId?: string;
  /** How long a killed step's container gets between SIGTERM and SIGKILL. */
  killGracePeriodSeconds: number;
  /** How long a step pod may stay unscheduled before the step fails with the scheduler's reason. */
  scheduleTimeoutSeconds: number;
  /** How long a pod stays bound to an unreachable node before it is evicted (default Kubernetes: 300). */
  nodeLostTolerationSeconds: number;
  /** Added to the step timeout for the pod's activeDeadlineSeconds, so a pod outlives no lost executor. */
  deadlineMarginSeconds: number;
  /** After a step ended, how long its remaining log may take to arrive before the pod is deleted anyway. */
  logDrainTimeoutMs: number;
  /** Copying files out of a run's volume fails when its exec stream brings nothing for this long. */
  copyIdleTimeoutMs: number;
  /** User of the helper containers; the workspace volume gets `fsGroup` so steps can write it. */
  helperUser: number;
  fsGroup: number;
  /**
   * User of step containers that name no `user:`. Unset: the image's USER, which must then be a
   * numeric non-root uid unless `allowRoot` (Kubernetes cannot check a user name for non-root).
   */
  stepRunAsUser?: number;
  /**
   * Steps may run as root (the image's or `user: 0`): `runAsNonRoot` is left off and the container
   * keeps ROOT_CAPABILITIES. Off, step pods pass Pod Security `restricted`.
   */
  allowRoot: boolean;
  /** Requests and limits of steps that set none (a BestEffort pod is refused by a quota, evicted first). */
  defaultResources: { cpu: string; memory: string };
  /** Existing `kubernetes.io/dockerconfigjson` Secrets of the namespace, given to every pod. */
  imagePullSecrets: string[];
  runtimeClassName?: string;
  priorityClassName?: string;
  /** Where artifacts copied out of a run's volume are kept on this host until the run is destroyed. */
  collectDir: string;
}

/**
 * What a step running as root keeps of the runtime's default capabilities (as the docker backend's
 * default KILN_DOCKER_CAP_ADD): enough to install packages and chown files, no raw network, no mknod.
 */
export const ROOT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID'];

export const KUBERNETES_DEFAULTS: KubernetesBackendOptions = {
  namespace: 'kiln-builds',
  workspaceSize: '5Gi',
  accessMode: 'ReadWriteOnce',
  nodeSelector: {},
  tolerations: [],
  allowedNodeSelectors: [],
  allowedTolerations: [],
  helperImage: 'ghcr.io/kiln-ci/kiln-helper:latest',
  kanikoImage: 'gcr.io/kaniko-project/executor:v1.23.2-debug',
  killGracePeriodSeconds: 10,
  scheduleTimeoutSeconds: 300,
  nodeLostTolerationSeconds: 60,
  deadlineMarginSeconds: 300,
  logDrainTimeoutMs: 30_000,
  copyIdleTimeoutMs: 120_000,
  helperUser: 1000,
  fsGroup: 1000,
  stepRunAsUser: 1000,
  allowRoot: false,
  defaultResources: { cpu: '1', memory: '2Gi' },
  imagePullSecrets: [],
  collectDir: join(tmpdir(), 'kiln-k8s-collect'),
};
