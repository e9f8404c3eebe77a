import { KubeConfig } from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTestImage, testDocker } from '../docker-engine';
import { SIMULATOR_LABEL } from './docker-pod';
import { KubeObject, ResourceName } from './kube-object';
import { createKubeApiServer, RequestAttributes } from './kube-api-server';
import { Kubelet, SimulatedNode } from './kubelet';
import { ObjectStore, StoreEvent } from './object-store';
import { PodSecurityLevel } from './pod-security';
import { PodSubresources } from './pod-subresources';
import { RbacPolicy } from './rbac';
import { AdmissionHook, CreatedObject, DeleteOptions, ResourceApi } from './resource-api';
import { parseLabelSelector } from './selectors';
import { WatchStreams } from './watch-stream';

export interface KubeApiSimulatorOptions {
  /** Namespaces that exist from the start (more with `createNamespace`). Default `default`. */
  namespaces?: string[];
  /** Default: two nodes, `sim-node-a` and `sim-node-b`. */
  nodes?: SimulatedNode[];
  /** Storage classes a PVC can be provisioned with; the first is the default unless `defaultStorageClass` is false. */
  storageClasses?: string[];
  /** Whether the first storage class is the default one. With false, a claim naming no class stays Pending. */
  defaultStorageClass?: boolean;
  /** The engine pods run on. Default: the tests' engine (DOCKER_HOST). */
  docker?: Docker;
  /** Give pods the host network (else each pod's own, with only loopback). Default false. */
  network?: boolean;
  /**
   * Host paths every container sees read-only at the same place (repositories behind file://
   * URLs). Their top directory is made world-readable: pods run as non-root uids.
   */
  hostReadOnlyPaths?: string[];
  /** Upper bound on a pod's termination grace period, so deletions stay fast in tests. Default 2000 ms. */
  maxGraceMs?: number;
  /** Stamp log lines with whole seconds only, so many lines share one timestamp. */
  coarseLogTimestamps?: boolean;
  /**
   * Pod Security level a namespace enforces (its `pod-security.kubernetes.io/enforce` label):
   * a pod that breaks it is refused with 403 and the admission controller's message.
   */
  podSecurity?: Record<string, PodSecurityLevel>;
  /**
   * Enforce RBAC: the client may do only what this Role grants, in its namespaces, and gets the
   * authorizer's 403 otherwise (dry runs included). Unset: every authenticated request is allowed.
   */
  rbac?: RbacPolicy;
}

/**
 * A Kubernetes API server for tests, speaking the core/v1 HTTP API that @kubernetes/client-node
 * uses: pods, PVCs, secrets and config maps with create/get/list (label and field selectors)/
 * replace/patch/delete, watches with resource versions, pods/log (follow, timestamps, sinceTime),
 * pods/exec over WebSocket, ownerReference garbage collection and PVC protection. Pods really run:
 * every container is a container of its image on the Docker Engine, in the pod's network
 * namespace (an infra container's, with only loopback) with the pod's volumes and security
 * context, so images, users, logs and exit codes are real. An image the engine lacks is pulled
 * only from a 127.0.0.1 registry; any other fails like a registry that does not have it.
 *
 * Failure injection: `loseNode`, `evict`, `oomKill`, `breakWatches`, `compactHistory`, or the pod
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
  private readonly docker: Docker;
  private server?: Server;
  private port = 0;
  /** The client's Role while RBAC is enforced (options.rbac; tests may change it between requests). */
  rbac?: RbacPolicy;

  constructor(options: KubeApiSimulatorOptions = {}) {
    this.namespaces = new Set(options.namespaces ?? ['default']);
    this.rbac = options.rbac;
    const storageClasses = options.storageClasses ?? ['standard'];
    this.api = new ResourceApi(
      this.store,
      this.namespaces,
      storageClasses,
      options.defaultStorageClass === false ? null : (storageClasses[0] ?? null),
    );
    for (const [namespace, level] of Object.entries(options.podSecurity ?? {})) {
      this.api.podSecurity.set(namespace, level);
    }
    this.docker = options.docker ?? testDocker();
    const pauseImage = busyboxTestImage(this.docker, PAUSE_IMAGE);
    // Awaited by start() and by every pod sandbox; a failure is reported there.
    pauseImage.catch(() => undefined);
    this.kubelet = new Kubelet(this.store, {
      docker: this.docker,
      pauseImage,
      simulatorId: this.token,
      hostNetwork: options.network ?? false,
      hostReadOnlyPaths: (options.hostReadOnlyPaths ?? []).map(readableByAll),
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
    await this.kubelet.pauseImage;
    this.server = createKubeApiServer({
      requests: this.requests,
      token: this.token,
      store: this.store,
      api: this.api,
      watches: this.watches,
      subresources: new PodSubresources(this.store, this.kubelet),
      namespaces: this.namespaces,
      rbac: () => this.rbac,
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

  /** Containers of this simulator's pods that outlived them (a pod removed mid-creation). */
  private async removeLeftContainers(): Promise<void> {
    const left = await this.docker.listContainers({
      all: true,
      filters: { label: [`${SIMULATOR_LABEL}=${this.token}`] },
    });
    await Promise.all(
      left.map((c) =>
        this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((error: { statusCode?: number }) => {
            // 404: gone meanwhile; 409: its pod's own removal is under way.
            if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
          }),
      ),
    );
  }

  async stop(): Promise<void> {
    await this.kubelet.stopAll();
    await this.removeLeftContainers();
    this.watches.endAll();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function readableByAll(path: string): string {
  chmodSync(path, statSync(path).mode | 0o005);
  return path;
}

/** The infra container's image: it only sleeps. */
const PAUSE_IMAGE = 'kiln-test/kube-pause:1';

/** Starts a simulator on a free port of 127.0.0.1. */
export function startKubeApiSimulator(options: KubeApiSimulatorOptions = {}): Promise<KubeApiSimulator> {
  return new KubeApiSimulator(options).start();
}
