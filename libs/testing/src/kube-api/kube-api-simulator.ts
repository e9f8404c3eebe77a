import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeObject, ResourceName } from './kube-object';
import { createKubeApiServer, RequestAttributes } from './kube-api-server';
import { Kubelet, SimulatedNode } from './kubelet';
import { ObjectStore, StoreEvent } from './object-store';
import { PodSubresources } from './pod-subresources';
import { AdmissionHook, CreatedObject, DeleteOptions, ResourceApi } from './resource-api';
import { parseLabelSelector } from './selectors';
import { WatchStreams } from './watch-stream';

export interface KubeApiSimulatorOptions {
  /** Namespaces that exist from the start (more with `createNamespace`). Default `default`. */
  namespaces?: string[];
  /** Default: two nodes, `sim-node-a` and `sim-node-b`. */
  nodes?: SimulatedNode[];
  /** Storage classes a PVC can be provisioned with; the first is the default. */
  storageClasses?: string[];
  bwrapPath?: string;
  /** Give pods the host network. Default false. */
  network?: boolean;
  /** Host paths every container sees read-only at the same place (repositories behind file:// URLs). */
  hostReadOnlyPaths?: string[];
  /**
   * Images the simulated registry does not have (exact references): their pods show ErrImagePull,
   * then ImagePullBackOff, and retry with a growing back-off until deleted, as a kubelet does.
   */
  unpullableImages?: string[];
  /** Upper bound on a pod's termination grace period, so deletions stay fast in tests. Default 2000 ms. */
  maxGraceMs?: number;
  /** Stamp log lines with whole seconds only, so many lines share one timestamp. */
  coarseLogTimestamps?: boolean;
}

/**
 * A Kubernetes API server for tests, speaking the core/v1 HTTP API that @kubernetes/client-node
 * uses: pods, PVCs, secrets and config maps with create/get/list (label and field selectors)/
 * replace/patch/delete, watches with resource versions, pods/log (follow, timestamps, sinceTime),
 * pods/exec over WebSocket, ownerReference garbage collection and PVC protection. Pods really run:
 * every container is a bubblewrap sandbox with the pod's volumes, so logs and exit codes are real.
 *
 * Failure injection: `unpullableImages`, `loseNode`, `evict`, `oomKill`, `breakWatches`, `compactHistory`, or the pod
 * annotations `kiln.test/simulate` (ErrImagePull, ImagePullBackOff, OOMKilled, Evicted, NodeLost),
 * `kiln.test/simulate-after-ms` and `kiln.test/break-log-after-lines`, set by an admission hook.
 */
export class KubeApiSimulator {
  readonly token = randomBytes(16).toString('hex');
  readonly store = new ObjectStore();
  /** What every request asked for, in RBAC terms (verb, resource/subresource, namespace). */
  readonly requests: RequestAttributes[] = [];
  readonly kubelet: Kubelet;
  private readonly api: ResourceApi;
  private readonly watches: WatchStreams;
  private readonly namespaces: Set<string>;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'kiln-kube-sim-'));
  private server?: Server;
  private port = 0;

  constructor(options: KubeApiSimulatorOptions = {}) {
    this.namespaces = new Set(options.namespaces ?? ['default']);
    this.api = new ResourceApi(this.store, this.namespaces, options.storageClasses ?? ['standard']);
    this.kubelet = new Kubelet(this.store, {
      bwrapPath: options.bwrapPath ?? '/usr/bin/bwrap',
      network: options.network ?? false,
      hostReadOnlyPaths: options.hostReadOnlyPaths ?? [],
      unpullableImages: options.unpullableImages ?? [],
      maxGraceMs: options.maxGraceMs ?? 2000,
      coarseLogTimestamps: options.coarseLogTimestamps ?? false,
      dataDir: this.dataDir,
      nodes: options.nodes ?? [{ name: 'sim-node-a' }, { name: 'sim-node-b' }],
      deletePod: (namespace, name) => this.deleteObject('pods', namespace, name),
    });
    this.watches = new WatchStreams(this.store);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every object clients created, exactly as sent (for schema checks). */
  get created(): CreatedObject[] {
    return this.api.created;
  }

  get openWatches(): number {
    return this.watches.count;
  }

  async start(): Promise<this> {
    this.server = createKubeApiServer({
      requests: this.requests,
      token: this.token,
      store: this.store,
      api: this.api,
      watches: this.watches,
      subresources: new PodSubresources(this.store, this.kubelet),
      namespaces: this.namespaces,
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** A kubeconfig (YAML) for this server; plain HTTP needs `insecure-skip-tls-verify`. */
  kubeconfig(namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: simulator`,
      `  cluster: { server: "${this.url}", insecure-skip-tls-verify: true }`,
      'users:',
      `- name: tester`,
      `  user: { token: "${this.token}" }`,
      'contexts:',
      `- name: simulator`,
      `  context: { cluster: simulator, user: tester, namespace: ${namespace} }`,
      'current-context: simulator',
      '',
    ].join('\n');
  }

  /** A @kubernetes/client-node configuration for this server. */
  clientConfig(namespace?: string): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfig(namespace));
    return config;
  }

  /** Writes the kubeconfig to a file (for a process started with KILN_KUBECONFIG) and returns its path. */
  writeKubeconfig(namespace?: string): string {
    const path = join(this.dataDir, `kubeconfig-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(path, this.kubeconfig(namespace), { mode: 0o600 });
    return path;
  }

  createNamespace(name: string): void {
    this.namespaces.add(name);
  }

  /** A mutating admission hook, e.g. to put `kiln.test/simulate` on the pods of one step. */
  addAdmissionHook(hook: AdmissionHook): void {
    this.api.admissionHooks.push(hook);
  }

  get(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(resource, namespace, name);
  }

  list(resource: ResourceName, namespace?: string, labelSelector?: string): KubeObject[] {
    return this.store.list(resource, namespace).filter(parseLabelSelector(labelSelector));
  }

  /** Deletes like `kubectl delete` would (someone other than the code under test). */
  deleteObject(resource: ResourceName, namespace: string, name: string, options: DeleteOptions = {}): void {
    if (this.store.get(resource, namespace, name)) this.api.delete(resource, namespace, name, options);
  }

  oomKill(namespace: string, podName: string, container: string): void {
    this.kubelet.runtime(namespace, podName)?.oomKill(container);
  }

  evict(namespace: string, podName: string, message = 'The node was low on resource: memory.'): void {
    this.kubelet.runtime(namespace, podName)?.evict(message);
  }

  loseNode(node: string): void {
    this.kubelet.loseNode(node);
  }

  /** Drops every open watch connection mid-stream. */
  breakWatches(): void {
    this.watches.breakAll();
  }

  /** Forgets the event history: a watch resuming from an old resource version gets 410 Gone. */
  compactHistory(): void {
    this.store.compact();
  }

  /** Resolves with the first state of the object that satisfies `predicate` (undefined = deleted). */
  waitFor(
    resource: ResourceName,
    namespace: string,
    name: string,
    predicate: (object: KubeObject | undefined) => boolean,
    timeoutMs = 20_000,
  ): Promise<KubeObject | undefined> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const object = this.store.get(resource, namespace, name);
        if (!predicate(object)) return false;
        cleanup();
        resolve(object);
        return true;
      };
      const onEvent = (event: StoreEvent) => {
        if (event.resource === resource && event.object.metadata.name === name) check();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`${resource} ${namespace}/${name} did not reach the expected state in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.store.off('event', onEvent);
      };
      this.store.on('event', onEvent);
      check();
    });
  }

  async stop(): Promise<void> {
    await this.kubelet.stopAll();
    this.watches.endAll();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts a simulator on a free port of 127.0.0.1. */
export function startKubeApiSimulator(options: KubeApiSimulatorOptions = {}): Promise<KubeApiSimulator> {
  return new KubeApiSimulator(options).start();
}
