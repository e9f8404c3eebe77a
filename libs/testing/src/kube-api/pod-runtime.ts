import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { ContainerLog } from './container-log';
import { KubeObject, metaTime } from './kube-object';
import { ObjectStore } from './object-store';
import { ContainerConfigError, ContainerJson, containerEnv, containerMounts } from './pod-environment';
import { PodFailure, PodStatusBook } from './pod-status';
import { exitCodeOf, SandboxMount, signalContainer, spawnSandbox } from './sandbox';

export interface RuntimeContext {
  store: ObjectStore;
  bwrapPath: string;
  network: boolean;
  hostReadOnlyPaths: string[];
  /** Images the simulated registry does not have: pulling them fails, over and over. */
  unpullableImages: string[];
  maxGraceMs: number;
  coarseLogTimestamps: boolean;
  claimDir(namespace: string, claim: KubeObject): string;
  emptyDir(podUid: string, volume: string): string;
  /** Resolves once every PVC of the pod can be attached on the node. */
  waitForVolumes(pod: KubeObject, node: string, cancelled: () => boolean): Promise<void>;
  loseNode(node: string): void;
}

const IMAGE_REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/**
 * What one node's kubelet does for one pod: init containers in order, then the containers, each as
 * a bubblewrap sandbox whose output becomes the container log, with statuses written back through
 * the store as the real kubelet reports them.
 */
export class PodRuntime {
  readonly logs = new Map<string, ContainerLog>();
  node?: string;
  nodeLost = false;
  private readonly processes = new Map<string, ChildProcess>();
  private readonly overrides = new Map<string, { exitCode: number; reason: string }>();
  private readonly status = new PodStatusBook();
  private stopping = false;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: RuntimeContext,
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
  ) {}

  get active(): boolean {
    return !this.nodeLost && this.status.active;
  }

  /** Runs the pod on `node` (already bound). Resolves when its containers are done or it was stopped. */
  run(node: string): Promise<void> {
    this.node = node;
    this.running = this.lifecycle(node).catch(() => undefined);
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

  /** A process in the container's sandbox (kubectl exec). */
  exec(containerName: string, argv: string[]): ChildProcess {
    const pod = this.pod();
    const container = this.container(containerName);
    if (!pod || !container || !this.isRunning(containerName))
      throw new Error(`container ${containerName} is not running`);
    const env = containerEnv(this.ctx.store, pod, container);
    return this.spawn(pod, container, env, this.mounts(pod, container), argv);
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
    signalContainer(this.processes.get(containerName)!, 'SIGKILL');
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

  /**
   * Image references are checked like the runtime does. An image the registry lacks (or a pod
   * annotated `kiln.test/simulate: ImagePullBackOff`) fails like a kubelet's pulls: ErrImagePull
   * with the registry's answer, then ImagePullBackOff while it waits, then another attempt, until
   * the pod is deleted. `kiln.test/simulate: ErrImagePull` stops after the first failed attempt.
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
    const simulated = simulate === 'ErrImagePull' || simulate === 'ImagePullBackOff';
    const target = simulated
      ? (pod.metadata.annotations?.['kiln.test/simulate-container'] ?? containers[containers.length - 1].name)
      : containers.find((c) => this.ctx.unpullableImages.includes(c.image))?.name;
    if (!target) return true;
    const image = containers.find((c) => c.name === target)?.image ?? '';
    const pullError = `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
    for (let backOffMs = 1000; !this.stopping; backOffMs = Math.min(backOffMs * 2, 5000)) {
      this.status.set(target, { waiting: { reason: 'ErrImagePull', message: pullError } });
      this.write();
      if (simulate === 'ErrImagePull') return false;
      await this.sleepUnlessStopping(100);
      if (this.stopping) break;
      this.status.set(target, {
        waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` },
      });
      this.write();
      await this.sleepUnlessStopping(backOffMs);
    }
    return false;
  }

  private async sleepUnlessStopping(ms: number): Promise<void> {
    for (const end = Date.now() + ms; !this.stopping && Date.now() < end;)
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, end - Date.now())));
  }

  /** Runs one container to its end; undefined when it could not be created. */
  private async runContainer(pod: KubeObject, container: ContainerJson): Promise<number | undefined> {
    let env: Record<string, string>;
    let mounts: SandboxMount[];
    try {
      env = containerEnv(this.ctx.store, pod, container);
      mounts = this.mounts(pod, container);
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      this.status.set(container.name, {
        waiting: { reason: 'CreateContainerConfigError', message: error.message },
      });
      this.write();
      return undefined;
    }
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const log = new ContainerLog(this.ctx.coarseLogTimestamps);
    this.logs.set(container.name, log);
    const containerID = `containerd://${randomBytes(32).toString('hex')}`;
    const startedAt = metaTime();
    const child = this.spawn(pod, container, env, mounts, argv.length ? argv : ['true']);
    this.processes.set(container.name, child);
    child.stdin?.end();
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      child[stream]?.on('data', (bytes: Buffer) => log.write(stream, decoder.write(bytes)));
    }
    const exit = new Promise<number>((resolve) => {
      child.once('error', () => resolve(128));
      child.once('close', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    this.status.set(container.name, { running: { startedAt } });
    if (!this.isInit(pod, container.name)) {
      this.status.phase = 'Running';
      this.status.condition('Ready', 'True');
    }
    this.write();
    this.scheduleSimulation(pod, container);
    const code = await exit;
    this.processes.delete(container.name);
    log.close();
    if (this.nodeLost) return code;
    const override = this.overrides.get(container.name);
    const exitCode = override?.exitCode ?? code;
    const reason = override?.reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    this.status.set(container.name, {
      terminated: { exitCode, reason, startedAt, finishedAt: metaTime(), containerID },
    });
    // The last container's end and the pod's phase are reported in one status update, as the kubelet does.
    const lastRunning = !this.isInit(pod, container.name) && this.processes.size === 0;
    if (!lastRunning) this.write();
    return exitCode;
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

  private mounts(pod: KubeObject, container: ContainerJson): SandboxMount[] {
    return containerMounts(this.ctx.store, pod, container, {
      claimDir: (namespace, claim) => this.ctx.claimDir(namespace, claim),
      emptyDir: (volume) => this.ctx.emptyDir(this.uid, volume),
    });
  }

  private spawn(
    pod: KubeObject,
    c: ContainerJson,
    env: Record<string, string>,
    mounts: SandboxMount[],
    argv: string[],
  ) {
    const child = spawnSandbox(this.ctx.bwrapPath, {
      argv,
      env,
      workingDir: c.workingDir,
      hostname: pod.metadata.name.slice(0, 63),
      mounts,
      hostReadOnlyPaths: this.ctx.hostReadOnlyPaths,
      network: this.ctx.network,
    });
    child.stdin?.on('error', () => undefined);
    return child;
  }

  private isInit(pod: KubeObject, name: string): boolean {
    return ((pod.spec as { initContainers?: ContainerJson[] }).initContainers ?? []).some(
      (c) => c.name === name,
    );
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const child of this.processes.values()) signalContainer(child, signal);
  }

  private pod(): KubeObject | undefined {
    const pod = this.ctx.store.get('pods', this.namespace, this.name);
    return pod?.metadata.uid === this.uid ? pod : undefined;
  }
}
