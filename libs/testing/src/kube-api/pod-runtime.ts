import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { containerCreateOptions, PodSecurityContextJson } from './container-config';
import { ContainerLog } from './container-log';
import { ContainerStartError, DockerPod, ExecSession, HostAlias, SIMULATOR_LABEL } from './docker-pod';
import { ensureImage } from './image-pull';
import { KubeObject, metaTime } from './kube-object';
import { ObjectStore } from './object-store';
import {
  ContainerConfigError,
  ContainerJson,
  containerEnv,
  containerMounts,
  VolumeMount,
} from './pod-environment';
import { PodFailure, PodStatusBook } from './pod-status';
import { applyFsGroup } from './volume-ownership';

export interface RuntimeContext {
  store: ObjectStore;
  docker: Docker;
  /** The infra container's image (it only sleeps). */
  pauseImage: Promise<string>;
  /** Labels every container of the simulator's pods carries. */
  simulatorId: string;
  hostNetwork: boolean;
  hostReadOnlyPaths: string[];
  maxGraceMs: number;
  coarseLogTimestamps: boolean;
  claimDir(namespace: string, claim: KubeObject): string;
  emptyDir(podUid: string, volume: string): string;
  /** The pod's own directory on the node (termination message files). */
  podDir(podUid: string): string;
  /** Resolves once every PVC of the pod can be attached on the node. */
  waitForVolumes(pod: KubeObject, node: string, cancelled: () => boolean): Promise<void>;
  loseNode(node: string): void;
}

const IMAGE_REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/**
 * What one node's kubelet does for one pod: a sandbox on the Docker Engine, the images pulled, init
 * containers in order, then the containers, each a container of its image whose output becomes the
 * container log, with statuses written back through the store as the real kubelet reports them.
 */
export class PodRuntime {
  readonly logs = new Map<string, ContainerLog>();
  node?: string;
  nodeLost = false;
  /** Containers started and not yet ended. */
  private readonly processes = new Set<string>();
  private readonly overrides = new Map<string, { exitCode: number; reason: string }>();
  private readonly status = new PodStatusBook();
  private stopping = false;
  private running?: Promise<void>;
  private readonly sandbox: DockerPod;

  constructor(
    private readonly ctx: RuntimeContext,
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
  ) {
    this.sandbox = new DockerPod(ctx.docker, {
      [SIMULATOR_LABEL]: ctx.simulatorId,
      'io.kubernetes.pod.uid': uid,
      'io.kubernetes.pod.name': name,
    });
  }

  get active(): boolean {
    return !this.nodeLost && this.status.active;
  }

  /** Runs the pod on `node` (already bound). Resolves when its containers are done or it was stopped. */
  run(node: string): Promise<void> {
    this.node = node;
    this.running = this.lifecycle(node)
      .catch((error: Error) => this.sandboxFailed(error))
      .finally(() => this.sandbox.remove().catch(() => undefined));
    return this.running;
  }

  container(name: string): ContainerJson | undefined {
    const pod = this.pod();
    const spec = pod?.spec as { containers: ContainerJson[]; initContainers?: ContainerJson[] } | undefined;
    return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((c) => c.name === name);
  }

  isRunning(container: string): boolean {
    return this.status.isRunning(container);
  }

  /** A command in one of the pod's running containers (kubectl exec). */
  exec(containerName: string, argv: string[]): Promise<ExecSession> {
    if (!this.isRunning(containerName)) throw new Error(`container ${containerName} is not running`);
    return this.sandbox.exec(containerName, argv);
  }

  /** Graceful deletion: SIGTERM, then SIGKILL after the grace period; resolves when nothing runs. */
  async terminate(graceSeconds: number): Promise<void> {
    if (this.nodeLost) return;
    this.stopping = true;
    this.signalAll('SIGTERM');
    const timer = setTimeout(
      () => this.signalAll('SIGKILL'),
      Math.min(graceSeconds * 1000, this.ctx.maxGraceMs),
    );
    await this.running;
    clearTimeout(timer);
  }

  /** The object is gone (forced deletion): stop at once. Resolves when nothing runs. */
  async kill(): Promise<void> {
    this.stopping = true;
    this.signalAll('SIGKILL');
    await this.running;
  }

  oomKill(containerName: string): void {
    if (!this.processes.has(containerName)) return;
    this.overrides.set(containerName, { exitCode: 137, reason: 'OOMKilled' });
    void this.sandbox.signal(containerName, 'SIGKILL');
  }

  /** Node-pressure eviction: containers killed, pod Failed with reason Evicted; the object stays. */
  evict(message: string): void {
    this.fail('Evicted', message, {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'TerminationByKubelet',
      message,
    });
  }

  /** The kubelet ends the pod (eviction, activeDeadlineSeconds): containers killed, phase Failed. */
  private fail(reason: string, message: string, condition?: PodFailure['condition']): void {
    if (!this.active || this.stopping) return;
    this.status.failure = { reason, message, condition };
    this.stopping = true;
    this.signalAll('SIGKILL');
    // Nothing running (waiting for an image): no container end will settle the pod, so settle now.
    if (this.processes.size === 0) this.settle();
  }

  /** The node died: processes vanish, nothing is reported any more, follow streams drop. */
  loseNode(): void {
    this.nodeLost = true;
    this.stopping = true;
    this.signalAll('SIGKILL');
    for (const log of this.logs.values()) log.sever();
  }

  private async lifecycle(node: string): Promise<void> {
    const pod = this.pod();
    if (!pod) return;
    const spec = pod.spec as { containers: ContainerJson[]; initContainers?: ContainerJson[] };
    const inits = spec.initContainers ?? [];
    for (const c of inits) this.status.set(c.name, { waiting: { reason: 'PodInitializing' } });
    for (const c of spec.containers) {
      this.status.set(c.name, {
        waiting: { reason: inits.length ? 'PodInitializing' : 'ContainerCreating' },
      });
    }
    this.status.condition('PodScheduled', 'True');
    this.status.condition('Initialized', inits.length ? 'False' : 'True');
    this.status.condition('Ready', 'False');
    this.write({
      hostIP: '10.0.0.1',
      podIP: `10.1.0.${1 + (randomBytes(1)[0] % 250)}`,
      startTime: metaTime(),
    });
    const deadline = (pod.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
    if (deadline)
      setTimeout(
        () => this.fail('DeadlineExceeded', 'Pod was active on the node longer than the specified deadline'),
        deadline * 1000,
      ).unref();

    await this.ctx.waitForVolumes(pod, node, () => this.stopping);
    if (this.stopping) return this.settle();
    await this.sandbox.createSandbox(
      await this.ctx.pauseImage,
      pod.metadata.name.slice(0, 63),
      this.ctx.hostNetwork,
      (pod.spec as { hostAliases?: HostAlias[] }).hostAliases ?? [],
    );
    if (this.stopping || !(await this.pullImages(pod, [...inits, ...spec.containers]))) return this.settle();

    for (const container of inits) {
      const exitCode = await this.runContainer(pod, container);
      if (this.stopping || exitCode === undefined) return this.settle();
      if (exitCode !== 0) {
        this.status.phase = 'Failed';
        return this.settle();
      }
    }
    if (inits.length) this.status.condition('Initialized', 'True');
    const exits = await Promise.all(spec.containers.map((c) => this.runContainer(pod, c)));
    if (exits.some((code) => code === undefined) && !this.stopping) return this.settle();
    this.status.phase = exits.every((code) => code === 0) && !this.status.failure ? 'Succeeded' : 'Failed';
    this.settle();
  }

  /** The engine refused the sandbox (a real kubelet retries; here the test should see why). */
  private sandboxFailed(error: Error): void {
    if (this.stopping || this.nodeLost) return;
    this.status.failure = { reason: 'CreatePodSandboxError', message: error.message };
    this.settle();
  }

  /**
   * Image references are checked like the runtime does, then each image is made present on the
   * engine (pulled from a 127.0.0.1 registry with the pod's pull secrets when missing). A failed
   * pull (or a pod annotated `kiln.test/simulate: ImagePullBackOff`) goes ErrImagePull →
   * ImagePullBackOff → another attempt, until the pod is deleted; `kiln.test/simulate:
   * ErrImagePull` stops after the first failed attempt.
   */
  private async pullImages(pod: KubeObject, containers: ContainerJson[]): Promise<boolean> {
    for (const c of containers) {
      if (!IMAGE_REFERENCE.test(c.image)) {
        const message = `Failed to apply default image tag "${c.image}": couldn't parse image reference "${c.image}": invalid reference format`;
        this.status.set(c.name, { waiting: { reason: 'InvalidImageName', message } });
        this.write();
        return false;
      }
    }
    const simulate = pod.metadata.annotations?.['kiln.test/simulate'];
    if (simulate === 'ErrImagePull' || simulate === 'ImagePullBackOff') {
      const target =
        pod.metadata.annotations?.['kiln.test/simulate-container'] ?? containers[containers.length - 1].name;
      const image = containers.find((c) => c.name === target)?.image ?? '';
      const message = `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
      return this.backOff(target, image, async () => message, simulate === 'ErrImagePull');
    }
    for (const c of containers) {
      const pull = () => ensureImage(this.ctx.docker, this.ctx.store, pod, c);
      if (!(await this.backOff(c.name, c.image, pull, false))) return false;
    }
    return true;
  }

  /**
   * ErrImagePull with the registry's answer, then ImagePullBackOff while waiting, then another
   * attempt with a growing back-off, until a pull works or the pod is deleted.
   */
  private async backOff(
    container: string,
    image: string,
    attempt: () => Promise<string | undefined>,
    once: boolean,
  ): Promise<boolean> {
    let failure = await attempt();
    for (
      let backOffMs = 1000;
      failure !== undefined && !this.stopping;
      backOffMs = Math.min(backOffMs * 2, 5000)
    ) {
      this.status.set(container, { waiting: { reason: 'ErrImagePull', message: failure } });
      this.write();
      if (once) return false;
      await this.sleepUnlessStopping(100);
      if (this.stopping) break;
      this.status.set(container, {
        waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` },
      });
      this.write();
      await this.sleepUnlessStopping(backOffMs);
      if (this.stopping) break;
      failure = await attempt();
    }
    return failure === undefined && !this.stopping;
  }

  private async sleepUnlessStopping(ms: number): Promise<void> {
    for (const end = Date.now() + ms; !this.stopping && Date.now() < end;)
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, end - Date.now())));
  }

  /** Runs one container to its end; undefined when it could not be created. */
  private async runContainer(pod: KubeObject, container: ContainerJson): Promise<number | undefined> {
    const log = new ContainerLog(this.ctx.coarseLogTimestamps);
    const messageFile = join(this.ctx.podDir(this.uid), `${container.name}-termination-log`);
    let started: Awaited<ReturnType<DockerPod['start']>>;
    try {
      const options = containerCreateOptions(container, {
        podName: pod.metadata.name,
        namespace: this.namespace,
        podSecurity: (pod.spec as { securityContext?: PodSecurityContextJson }).securityContext ?? {},
        imageUser: await this.imageUser(container.image),
        networkMode: this.sandbox.networkMode,
        env: containerEnv(this.ctx.store, pod, container),
        binds: [
          ...this.binds(pod, container),
          `${this.messageFile(messageFile)}:${container.terminationMessagePath ?? '/dev/termination-log'}`,
        ],
        labels: {},
      });
      const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      this.logs.set(container.name, log);
      this.processes.add(container.name);
      started = await this.sandbox.start(container.name, options, (stream, chunk) =>
        log.write(stream, decoders[stream].write(chunk)),
      );
    } catch (error) {
      this.processes.delete(container.name);
      return this.notStarted(container, error);
    }
    if (this.stopping) void this.sandbox.signal(container.name, 'SIGKILL');
    const startedAt = metaTime();
    this.status.set(container.name, { running: { startedAt } });
    if (!this.isInit(pod, container.name)) {
      this.status.phase = 'Running';
      this.status.condition('Ready', 'True');
    }
    this.write();
    this.scheduleSimulation(pod, container);
    const exit = await started.exit;
    this.processes.delete(container.name);
    log.close();
    if (this.nodeLost) return exit.exitCode;
    const override = this.overrides.get(container.name);
    const exitCode = override?.exitCode ?? exit.exitCode;
    const reason =
      override?.reason ?? (exit.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error');
    const message = terminationMessage(messageFile, container, exitCode, log);
    this.status.set(container.name, {
      terminated: {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        startedAt,
        finishedAt: metaTime(),
        containerID: `docker://${started.id}`,
      },
    });
    // The last container's end and the pod's phase are reported in one status update, as the kubelet does.
    const lastRunning = !this.isInit(pod, container.name) && this.processes.size === 0;
    if (!lastRunning) this.write();
    return exitCode;
  }

  /**
   * A container that did not run: a bad config or an engine refusal leaves it waiting (the pod
   * stays Pending), a process that could not start ends it as containerd reports (StartError, 128).
   */
  private notStarted(container: ContainerJson, error: unknown): number | undefined {
    if (error instanceof ContainerStartError) {
      const now = metaTime();
      this.status.set(container.name, {
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message: error.message,
          startedAt: now,
          finishedAt: now,
          containerID: '',
        },
      });
      this.logs.get(container.name)?.close();
      this.write();
      return 128;
    }
    if (!(error instanceof ContainerConfigError) && !isEngineRefusal(error)) throw error;
    this.logs.delete(container.name);
    const reason =
      error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
    this.status.set(container.name, { waiting: { reason, message: (error as Error).message } });
    this.write();
    return undefined;
  }

  // Mid-run failures named by `kiln.test/simulate` fire after `kiln.test/simulate-after-ms`.
  private scheduleSimulation(pod: KubeObject, container: ContainerJson): void {
    const annotations = pod.metadata.annotations ?? {};
    const simulate = annotations['kiln.test/simulate'];
    const target = annotations['kiln.test/simulate-container'];
    if (!simulate || this.isInit(pod, container.name) || (target && target !== container.name)) return;
    const delay = Number(annotations['kiln.test/simulate-after-ms'] ?? 300);
    setTimeout(() => {
      if (simulate === 'OOMKilled') this.oomKill(container.name);
      if (simulate === 'Evicted')
        this.evict('The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi.');
      if (simulate === 'NodeLost' && this.node) this.ctx.loseNode(this.node);
    }, delay).unref();
  }

  private settle(): void {
    if (this.nodeLost) return;
    this.write(this.status.settle());
  }

  private write(extra: Record<string, unknown> = {}): void {
    if (this.nodeLost) return;
    const pod = this.pod();
    if (!pod) return;
    const status = this.status.toJson(
      pod.spec as { containers: ContainerJson[]; initContainers?: ContainerJson[] },
    );
    this.ctx.store.update('pods', this.namespace, this.name, (object) => {
      object.status = { ...(object.status as object), ...extra, ...status };
    });
  }

  private binds(pod: KubeObject, container: ContainerJson): string[] {
    const security =
      (pod.spec as { securityContext?: PodSecurityContextJson & { fsGroupChangePolicy?: string } })
        .securityContext ?? {};
    const owned = (dir: string) => {
      if (security.fsGroup !== undefined) applyFsGroup(dir, security.fsGroup, security.fsGroupChangePolicy);
      return dir;
    };
    const mounts: VolumeMount[] = containerMounts(this.ctx.store, pod, container, {
      claimDir: (namespace, claim) => owned(this.ctx.claimDir(namespace, claim)),
      emptyDir: (volume) => owned(this.ctx.emptyDir(this.uid, volume)),
    });
    return [
      ...this.ctx.hostReadOnlyPaths.map((path) => `${path}:${path}:ro`),
      ...mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
    ];
  }

  /** An empty file the container may write its termination message to, as the kubelet provides. */
  private messageFile(path: string): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '', { mode: 0o666 });
    return path;
  }

  private async imageUser(image: string): Promise<string> {
    const inspected = await this.ctx.docker.getImage(image).inspect();
    return inspected.Config?.User ?? '';
  }

  private isInit(pod: KubeObject, name: string): boolean {
    return ((pod.spec as { initContainers?: ContainerJson[] }).initContainers ?? []).some(
      (c) => c.name === name,
    );
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const name of this.processes) void this.sandbox.signal(name, signal).catch(() => undefined);
  }

  private pod(): KubeObject | undefined {
    const pod = this.ctx.store.get('pods', this.namespace, this.name);
    return pod?.metadata.uid === this.uid ? pod : undefined;
  }
}

/** What the container wrote to its termination message file, or its log's tail when told to fall back. */
function terminationMessage(
  file: string,
  container: ContainerJson,
  exitCode: number,
  log: ContainerLog,
): string | undefined {
  const written = readFileSync(file, 'utf8').slice(0, 4096);
  if (written || container.terminationMessagePolicy !== 'FallbackToLogsOnError' || exitCode === 0)
    return written || undefined;
  return (
    log.entries
      .slice(-80)
      .map((e) => e.text)
      .join('\n')
      .slice(-2048) || undefined
  );
}

/** The engine refused to create or start the container (bad option, missing binary): the kubelet's CreateContainerError. */
function isEngineRefusal(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 400 || status === 404 || status === 500;
}
