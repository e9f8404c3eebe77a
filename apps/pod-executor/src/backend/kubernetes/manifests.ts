import type {
  V1ConfigMap,
  V1Container,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodSpec,
  V1LocalObjectReference,
  V1ResourceRequirements,
  V1Secret,
  V1SecurityContext,
  V1Toleration,
} from '@kubernetes/client-node';
import { GIT_ENV } from '@kiln/git';
import { RunSpec, StepSpec, StepStartError } from '../backend';
import { stepScript } from '../local/bwrap-command';
import { listeningScript, notListening } from '../service-readiness';
import { kanikoContainer, registryVolume } from './build-container';
import { CHECKOUT_SCRIPT, COLLECT_SCRIPT, VOLUME_ROOT, WORKSPACE_SUBPATH } from './checkout-script';
import { KubernetesBackendOptions, ROOT_CAPABILITIES } from './kubernetes.options';
import {
  ANNOTATION,
  CHECKOUT_CONTAINER,
  checkoutSecretName,
  claimName,
  COLLECT_CONTAINER,
  Component,
  envSecretName,
  LABEL,
  labelValue,
  MANAGED_BY,
  ownerName,
  registrySecretName,
  serviceContainerName,
  servicesSecretName,
  STEP_CONTAINER,
  WORKSPACE_VOLUME,
} from './names';
import { stepNodeSelector, stepTolerations } from './step-placement';

/** The run owner as the other objects reference it. */
export interface RunOwner {
  runId: string;
  uid: string;
}

export function runLabels(runId: string, component: Component, projectId?: string): Record<string, string> {
  return {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.component]: component,
    [LABEL.run]: runId,
    ...(projectId ? { [LABEL.project]: labelValue(projectId) } : {}),
  };
}

export function ownerReference(owner: RunOwner): V1OwnerReference {
  return { apiVersion: 'v1', kind: 'ConfigMap', name: ownerName(owner.runId), uid: owner.uid };
}

export function runOwnerManifest(runId: string, now = new Date()): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: ownerName(runId),
      labels: runLabels(runId, 'run'),
      annotations: { [ANNOTATION.lastActive]: now.toISOString() },
    },
    data: {},
  };
}

export function workspaceClaimManifest(
  owner: RunOwner,
  options: KubernetesBackendOptions,
): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(owner.runId),
      labels: runLabels(owner.runId, 'run'),
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      accessModes: [options.accessMode],
      resources: { requests: { storage: options.workspaceSize } },
      ...(options.storageClass ? { storageClassName: options.storageClass } : {}),
    },
  };
}

/** The repository URL may carry a token, so it reaches the init container only through a Secret. */
export function checkoutSecretManifest(owner: RunOwner, run: RunSpec): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: checkoutSecretName(owner.runId),
      labels: runLabels(owner.runId, 'run'),
      ownerReferences: [ownerReference(owner)],
    },
    data: {
      'repo-url': base64(run.repoUrl),
      'commit-sha': base64(run.commitSha),
      'git-ref': base64(run.gitRef),
    },
  };
}

/** All of the step's environment, secrets included, for `envFrom`: no value is ever inline in the pod. */
export function envSecretManifest(owner: RunOwner, step: StepSpec, podName: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: envSecretName(podName),
      labels: stepLabels(step),
      ownerReferences: [ownerReference(owner)],
    },
    data: Object.fromEntries(Object.entries(step.env).map(([name, value]) => [name, base64(value)])),
  };
}

/**
 * The variables of the step's services that came from project secrets, each under the key
 * `<service index>.<name>` for its container's `secretKeyRef` (the step's own env Secret goes
 * whole into the step's container, which must not get them); undefined when no service has one.
 */
export function servicesSecretManifest(
  owner: RunOwner,
  step: StepSpec,
  podName: string,
): V1Secret | undefined {
  const data = Object.fromEntries(
    (step.services ?? []).flatMap((service, index) =>
      Object.entries(service.secretEnvironment ?? {}).map(([name, value]) => [
        `${index}.${name}`,
        base64(value),
      ]),
    ),
  );
  if (Object.keys(data).length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: servicesSecretName(podName),
      labels: stepLabels(step),
      ownerReferences: [ownerReference(owner)],
    },
    data,
  };
}

/**
 * The project's registry credentials as a pull secret of the run, so step images (and kaniko's
 * pushes) can use private registries; none when the dispatch carries no credentials.
 */
export function registrySecretManifest(owner: RunOwner, step: StepSpec): V1Secret | undefined {
  const credentials = step.registryCredentials ?? [];
  if (credentials.length === 0) return undefined;
  const auths = Object.fromEntries(
    credentials.map((c) => [
      c.server,
      { username: c.username, password: c.password, auth: base64(`${c.username}:${c.password}`) },
    ]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: {
      name: registrySecretName(owner.runId),
      labels: runLabels(owner.runId, 'run'),
      ownerReferences: [ownerReference(owner)],
    },
    data: { '.dockerconfigjson': base64(JSON.stringify({ auths })) },
  };
}

export function stepLabels(step: StepSpec, executorId?: string): Record<string, string> {
  return {
    ...runLabels(step.runId, 'step', step.projectId),
    [LABEL.step]: labelValue(step.stepName) || 'step',
    [LABEL.stepId]: step.stepId,
    [LABEL.attempt]: String(step.attempt),
    ...(executorId ? { [LABEL.executor]: labelValue(executorId) } : {}),
  };
}

export interface StepPodPlacement {
  podName: string;
  owner: RunOwner;
  /** Node the run's volume is attached to (ReadWriteOnce), when known. */
  node?: string;
  /** Whether the pod must check the repository out first. */
  checkout: boolean;
  /** The run's registry Secret (registrySecretManifest), when the step brought credentials. */
  registrySecret?: string;
}

export function stepPodManifest(
  step: StepSpec,
  at: StepPodPlacement,
  options: KubernetesBackendOptions,
): V1Pod {
  const container: V1Container = step.build
    ? {
        ...kanikoContainer(step.build, at.podName, options, at.registrySecret),
        resources: resources(step.resources, options),
      }
    : commandContainer(step, at.podName, options);
  const pullSecrets = at.registrySecret ? [{ name: at.registrySecret }] : [];
  const basics = podBasics(at.owner.runId, at.node, options, pullSecrets);
  if (step.build && at.registrySecret)
    basics.volumes = [...basics.volumes!, registryVolume(at.registrySecret)];
  const timeoutSeconds = step.timeoutMs ? Math.ceil(step.timeoutMs / 1000) : undefined;
  const nodeSelector = stepNodeSelector(step, options);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: at.podName,
      labels: stepLabels(step, options.executorId),
      annotations: {
        [ANNOTATION.stepName]: step.stepName,
        ...(step.build ? { [ANNOTATION.imageRef]: step.build.imageRef } : {}),
      },
      ownerReferences: [ownerReference(at.owner)],
    },
    spec: {
      ...basics,
      ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
      tolerations: [...(basics.tolerations ?? []), ...stepTolerations(step)],
      ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
      ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
      ...(timeoutSeconds ? { activeDeadlineSeconds: timeoutSeconds + options.deadlineMarginSeconds } : {}),
      ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
      terminationGracePeriodSeconds: options.killGracePeriodSeconds,
      initContainers: at.checkout ? [checkoutContainer(at.owner.runId, options)] : undefined,
      // Services first: the kubelet starts a pod's containers in order.
      containers: [...serviceContainers(step, at.podName, options), container],
      ...(step.services?.length
        ? { hostAliases: [{ ip: '127.0.0.1', hostnames: step.services.map((service) => service.name) }] }
        : {}),
    },
  };
}

/**
 * The step's services as further containers of its pod, so they share its network namespace (the
 * step reaches them on localhost, and by name through the pod's host aliases) and end with it:
 * the step's outcome is its own container's, and the pod is deleted once it is known. Same
 * security context as the step; the executor's default resources; no workspace.
 */
function serviceContainers(
  step: StepSpec,
  podName: string,
  options: KubernetesBackendOptions,
): V1Container[] {
  return (step.services ?? []).map((service, index) => ({
    name: serviceContainerName(index, service.name),
    image: service.image,
    ...(service.commands ? { command: ['sh', '-c', service.commands.join('\n')] } : {}),
    env: [
      ...Object.entries(service.environment).map(([name, value]) => ({ name, value })),
      ...Object.keys(service.secretEnvironment ?? {}).map((name) => ({
        name,
        valueFrom: { secretKeyRef: { name: servicesSecretName(podName), key: `${index}.${name}` } },
      })),
    ],
    resources: resources(undefined, options),
    securityContext: stepSecurity(step, options),
  }));
}

function commandContainer(step: StepSpec, podName: string, options: KubernetesBackendOptions): V1Container {
  return {
    name: STEP_CONTAINER,
    image: step.image,
    // `sh` from PATH rather than /bin/sh: some build images (kaniko's debug image) keep it elsewhere.
    command: ['sh', '-c', `set -e\n${serviceWaits(step)}${stepScript(step.commands)}`],
    workingDir: '/workspace',
    envFrom: [{ secretRef: { name: envSecretName(podName) } }],
    resources: resources(step.resources, options),
    volumeMounts: [{ name: WORKSPACE_VOLUME, mountPath: '/workspace', subPath: WORKSPACE_SUBPATH }],
    securityContext: stepSecurity(step, options),
  };
}

/**
 * The services' `wait_for`, checked in the step's own container before its commands: the kubelet
 * starts the service containers first but does not wait for them, and the step's container sees
 * the pod's sockets. A service that does not listen in time fails the step, saying which.
 */
function serviceWaits(step: StepSpec): string {
  return (step.services ?? [])
    .map(({ name, waitFor }) =>
      waitFor
        ? `if ! (\n${listeningScript(waitFor.port, waitFor.timeoutMs)}\n); then echo '${notListening(name, waitFor.port, waitFor.timeoutMs)}' >&2; exit 1; fi\n`
        : '',
    )
    .join('');
}

/**
 * Nothing beyond what the step needs (Pod Security `restricted`): no capabilities, no privilege
 * escalation, a non-root user. Only an executor that allows root leaves the user to the image or
 * `user: 0` and keeps ROOT_CAPABILITIES, so that a root step can still chown and install.
 */
function stepSecurity(step: StepSpec, options: KubernetesBackendOptions): V1SecurityContext {
  const user = stepUser(step, options);
  return {
    allowPrivilegeEscalation: false,
    capabilities: options.allowRoot ? { drop: ['ALL'], add: ROOT_CAPABILITIES } : { drop: ['ALL'] },
    ...(options.allowRoot ? {} : { runAsNonRoot: true }),
    ...user,
  };
}

function stepUser(
  step: StepSpec,
  options: KubernetesBackendOptions,
): Pick<V1SecurityContext, 'runAsUser' | 'runAsGroup'> {
  if (!step.user) {
    return options.stepRunAsUser === undefined
      ? {}
      : { runAsUser: options.stepRunAsUser, runAsGroup: options.fsGroup };
  }
  const ids = /^(\d+)(?::(\d+))?$/.exec(step.user.trim());
  if (!ids) {
    throw new StepStartError(`user "${step.user}": the kubernetes backend needs a numeric uid[:gid]`);
  }
  const runAsUser = Number(ids[1]);
  if (runAsUser === 0 && !options.allowRoot) {
    throw new StepStartError(
      'the step asks to run as root (user: 0), which this executor does not allow (KILN_K8S_ALLOW_ROOT)',
    );
  }
  return { runAsUser, ...(ids[2] === undefined ? {} : { runAsGroup: Number(ids[2]) }) };
}

/** A helper pod that mounts the run's workspace so files can be copied out with `exec tar`. */
export function collectorPodManifest(
  owner: RunOwner,
  podName: string,
  node: string | undefined,
  options: KubernetesBackendOptions,
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      labels: runLabels(owner.runId, 'collect'),
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      ...podBasics(owner.runId, node, options),
      // It only idles while files are copied; the deadline removes it should this executor die meanwhile.
      activeDeadlineSeconds: 3600,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: COLLECT_CONTAINER,
          image: options.helperImage,
          command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
          volumeMounts: [
            { name: WORKSPACE_VOLUME, mountPath: '/workspace', subPath: WORKSPACE_SUBPATH, readOnly: true },
          ],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          securityContext: helperSecurity(options),
        },
      ],
    },
  };
}

export const collectArgv = (paths: string[]) => ['sh', '-c', COLLECT_SCRIPT, 'kiln-collect', ...paths];

function checkoutContainer(runId: string, options: KubernetesBackendOptions): V1Container {
  return {
    name: CHECKOUT_CONTAINER,
    image: options.helperImage,
    command: ['sh', '-c', CHECKOUT_SCRIPT],
    env: [
      ...[
        ['KILN_REPO_URL', 'repo-url'],
        ['KILN_COMMIT_SHA', 'commit-sha'],
        ['KILN_GIT_REF', 'git-ref'],
      ].map(([name, key]) => ({
        name,
        valueFrom: { secretKeyRef: { name: checkoutSecretName(runId), key } },
      })),
      { name: 'HOME', value: '/tmp' },
      // The environment every git Kiln starts runs in (@kiln/git).
      ...Object.entries(GIT_ENV).map(([name, value]) => ({ name, value })),
    ],
    volumeMounts: [{ name: WORKSPACE_VOLUME, mountPath: VOLUME_ROOT }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
    securityContext: helperSecurity(options),
  };
}

function podBasics(
  runId: string,
  node: string | undefined,
  options: KubernetesBackendOptions,
  runPullSecrets: V1LocalObjectReference[] = [],
): Partial<V1PodSpec> {
  const pullSecrets = [...options.imagePullSecrets.map((name) => ({ name })), ...runPullSecrets];
  return {
    restartPolicy: 'Never',
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(Object.keys(options.nodeSelector).length ? { nodeSelector: options.nodeSelector } : {}),
    tolerations: [...options.tolerations, ...nodeLossTolerations(options.nodeLostTolerationSeconds)],
    ...(node ? { affinity: pinnedTo(node) } : {}),
    securityContext: {
      fsGroup: options.fsGroup,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumes: [{ name: WORKSPACE_VOLUME, persistentVolumeClaim: { claimName: claimName(runId) } }],
  };
}

// Shorter than Kubernetes' default five minutes: a step on a dead node fails sooner instead of hanging.
function nodeLossTolerations(seconds: number): V1Toleration[] {
  return ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: seconds,
  }));
}

// The node's name as a field, like the DaemonSet controller pins pods: labels may differ from names.
function pinnedTo(node: string) {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
}

function helperSecurity(options: KubernetesBackendOptions) {
  return {
    runAsUser: options.helperUser,
    runAsGroup: options.fsGroup,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  };
}

// A memory limit equal to the request makes OOM predictable; CPU is requested and capped alike.
// What the step leaves out comes from the executor's defaults, so no step pod is BestEffort.
function resources(
  requested: StepSpec['resources'],
  options: KubernetesBackendOptions,
): V1ResourceRequirements {
  const values = {
    cpu: requested?.cpu || options.defaultResources.cpu,
    memory: requested?.memory || options.defaultResources.memory,
  };
  return { requests: values, limits: values };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
