import { randomBytes } from 'node:crypto';
import { alreadyExists, ApiError, badRequest, conflict, notFound, successStatus } from './api-status';
import { clone, KubeObject, metaTime, RESOURCES, ResourceName } from './kube-object';
import { ObjectStore, StoreEvent } from './object-store';
import { applyPatch } from './patch';
import { claimNames } from './pod-environment';
import { PodSecurityLevel, podSecurityProblems, PodSecuritySpec } from './pod-security';
import { validateObject } from './validation';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  dryRun?: boolean;
}

/** A mutating admission hook: may change an object before it is validated and stored. */
export type AdmissionHook = (resource: ResourceName, object: KubeObject) => void;

export interface CreatedObject {
  resource: ResourceName;
  /** The body exactly as the client sent it. */
  body: KubeObject;
}

const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const FOREGROUND = 'foregroundDeletion';

/**
 * The API server's object semantics over the store: defaults, admission, validation, optimistic
 * concurrency, graceful pod deletion, PVC protection, and the garbage collector that follows
 * ownerReferences (Background, Foreground and Orphan propagation).
 */
export class ResourceApi {
  readonly created: CreatedObject[] = [];
  readonly admissionHooks: AdmissionHook[] = [];
  /** Pod Security level each namespace enforces (none: privileged), checked after mutation like PSA. */
  readonly podSecurity = new Map<string, PodSecurityLevel>();

  constructor(
    private readonly store: ObjectStore,
    private readonly namespaces: Set<string>,
    private readonly storageClasses: string[],
    /** The class a claim without one gets; none: such claims stay Pending. */
    private readonly defaultStorageClass: string | null = storageClasses[0] ?? null,
  ) {
    store.on('event', (event: StoreEvent) => queueMicrotask(() => this.react(event)));
  }

  create(resource: ResourceName, namespace: string, body: KubeObject, dryRun = false): KubeObject {
    if (!this.namespaces.has(namespace)) throw notFound('namespaces', namespace);
    if (!body || typeof body !== 'object' || typeof body.metadata !== 'object')
      throw badRequest('the body must be an object with metadata');
    const object = clone(body);
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    }
    if (object.kind && object.kind !== RESOURCES[resource].kind) {
      throw badRequest(`the kind ${object.kind} does not match the ${resource} resource`);
    }
    for (const hook of this.admissionHooks) hook(resource, object);
    this.applyDefaults(resource, object);
    validateObject(resource, object);
    if (resource === 'pods') this.admitPodSecurity(namespace, object);
    // A dry run goes through everything a create does but the write: a taken name still conflicts.
    if (dryRun) {
      if (this.store.get(resource, namespace, object.metadata.name))
        throw alreadyExists(resource, object.metadata.name);
      return { ...object, apiVersion: 'v1', kind: RESOURCES[resource].kind };
    }
    const stored = this.store.create(resource, namespace, object);
    this.created.push({ resource, body: clone(body) });
    return stored;
  }

  private admitPodSecurity(namespace: string, pod: KubeObject): void {
    const level = this.podSecurity.get(namespace) ?? 'privileged';
    const problems = podSecurityProblems(pod.spec as PodSecuritySpec, level);
    if (problems.length === 0) return;
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "${level}:latest": ${problems.join(', ')}`,
      { name: pod.metadata.name, kind: 'pods' },
    );
  }

  get(resource: ResourceName, namespace: string, name: string): KubeObject {
    return this.store.mustGet(resource, namespace, name);
  }

  replace(resource: ResourceName, namespace: string, name: string, body: KubeObject): KubeObject {
    const current = this.store.mustGet(resource, namespace, name);
    if (body.metadata?.name !== name) throw badRequest('the name in the body does not match the URL');
    const object = clone(body);
    if (resource === 'secrets') mergeStringData(object);
    validateObject(resource, object);
    const updated = this.store.update(
      resource,
      namespace,
      name,
      (o) => {
        for (const key of Object.keys(o)) if (key !== 'metadata' && key !== 'status') delete o[key];
        Object.assign(o, object, {
          metadata: { ...object.metadata, deletionTimestamp: current.metadata.deletionTimestamp },
        });
        if (resource === 'pods' || resource === 'persistentvolumeclaims') o.status = current.status;
      },
      body.metadata.resourceVersion,
    );
    if (!updated) throw notFound(resource, name);
    return updated;
  }

  patch(
    resource: ResourceName,
    namespace: string,
    name: string,
    patch: unknown,
    contentType: string,
  ): KubeObject {
    const current = this.store.mustGet(resource, namespace, name);
    const next = applyPatch(current, patch, contentType) as KubeObject;
    validateObject(resource, next);
    const expected = (patch as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) throw conflict(resource, name);
    const updated = this.store.update(resource, namespace, name, (o) => {
      for (const key of Object.keys(o)) delete o[key];
      Object.assign(o, next);
    });
    if (!updated) throw notFound(resource, name);
    return updated;
  }

  delete(
    resource: ResourceName,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | object {
    const current = this.store.mustGet(resource, namespace, name);
    if (options.dryRun) return current;
    const result = this.deleteObject(resource, current, options);
    return resource === 'pods' || resource === 'persistentvolumeclaims'
      ? result
      : successStatus({ name, kind: resource, uid: current.metadata.uid });
  }

  deleteCollection(
    resource: ResourceName,
    namespace: string,
    matches: (o: KubeObject) => boolean,
    options: DeleteOptions,
  ) {
    const items = this.store.list(resource, namespace).filter(matches);
    return items.map((object) => this.deleteObject(resource, object, options));
  }

  private deleteObject(resource: ResourceName, object: KubeObject, options: DeleteOptions): KubeObject {
    const { name, namespace = 'default' } = object.metadata;
    const policy = options.propagationPolicy ?? 'Background';
    if (policy === 'Orphan') this.orphanDependents(object);
    if (policy === 'Foreground' && this.dependents(object).length > 0) {
      for (const dependent of this.dependents(object))
        this.deleteObject(dependent.resource, dependent.object, {});
      return this.markDeleting(resource, object, [FOREGROUND]) ?? object;
    }
    if (resource === 'pods') return this.deletePod(object, options.gracePeriodSeconds);
    if (resource === 'persistentvolumeclaims' && this.claimInUse(object)) {
      return this.markDeleting(resource, object, [PVC_PROTECTION]) ?? object;
    }
    return this.store.remove(resource, namespace, name) ?? object;
  }

  // Unbound or finished pods, and grace period 0, go at once; a running pod is stopped by its kubelet.
  private deletePod(pod: KubeObject, gracePeriodSeconds?: number): KubeObject {
    const { name, namespace = 'default' } = pod.metadata;
    const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const grace = gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    if (grace === 0 || !spec.nodeName) return this.store.remove('pods', namespace, name) ?? pod;
    if (pod.metadata.deletionTimestamp) return pod;
    const updated = this.store.update('pods', namespace, name, (o) => {
      o.metadata.deletionTimestamp = metaTime(new Date(Date.now() + grace * 1000));
      o.metadata.deletionGracePeriodSeconds = grace;
    });
    return updated ?? pod;
  }

  private markDeleting(
    resource: ResourceName,
    object: KubeObject,
    finalizers: string[],
  ): KubeObject | undefined {
    const { name, namespace = 'default' } = object.metadata;
    return this.store.update(resource, namespace, name, (o) => {
      o.metadata.deletionTimestamp ??= metaTime();
      o.metadata.finalizers = [...new Set([...(o.metadata.finalizers ?? []), ...finalizers])];
    });
  }

  private react(event: StoreEvent): void {
    if (event.type === 'ADDED' && event.resource === 'persistentvolumeclaims') this.bindClaim(event.object);
    if (event.type === 'DELETED') this.collectGarbage(event.object);
    if (event.resource === 'pods') this.releaseClaims(event.object.metadata.namespace ?? 'default');
    this.finishForegroundDeletions();
  }

  // Dynamic provisioning: a claim whose storage class exists is bound at once.
  private bindClaim(claim: KubeObject): void {
    const spec = claim.spec as {
      storageClassName?: string;
      accessModes?: string[];
      resources?: { requests?: { storage?: string } };
    };
    const storageClass = spec.storageClassName ?? this.defaultStorageClass;
    if (!storageClass || !this.storageClasses.includes(storageClass)) return;
    this.store.update(
      'persistentvolumeclaims',
      claim.metadata.namespace ?? 'default',
      claim.metadata.name,
      (o) => {
        (o.spec as { volumeName?: string; storageClassName?: string }).volumeName = `pvc-${o.metadata.uid}`;
        (o.spec as { storageClassName?: string }).storageClassName = storageClass;
        o.status = {
          phase: 'Bound',
          accessModes: spec.accessModes,
          capacity: { storage: spec.resources?.requests?.storage },
        };
      },
    );
  }

  private collectGarbage(owner: KubeObject): void {
    for (const dependent of this.dependents(owner)) {
      const others = (dependent.object.metadata.ownerReferences ?? []).filter(
        (ref) => ref.uid !== owner.metadata.uid && this.ownerExists(dependent.object, ref.uid),
      );
      if (others.length > 0) {
        this.store.update(
          dependent.resource,
          dependent.object.metadata.namespace ?? 'default',
          dependent.object.metadata.name,
          (o) => {
            o.metadata.ownerReferences = o.metadata.ownerReferences?.filter(
              (ref) => ref.uid !== owner.metadata.uid,
            );
          },
        );
      } else if (!dependent.object.metadata.deletionTimestamp) {
        this.deleteObject(dependent.resource, dependent.object, {});
      }
    }
  }

  private finishForegroundDeletions(): void {
    for (const resource of Object.keys(RESOURCES) as ResourceName[]) {
      for (const object of this.store.list(resource)) {
        if (!object.metadata.finalizers?.includes(FOREGROUND) || this.dependents(object).length > 0) continue;
        this.store.remove(resource, object.metadata.namespace ?? 'default', object.metadata.name);
      }
    }
  }

  private releaseClaims(namespace: string): void {
    for (const claim of this.store.list('persistentvolumeclaims', namespace)) {
      if (
        claim.metadata.finalizers?.includes(PVC_PROTECTION) &&
        claim.metadata.deletionTimestamp &&
        !this.claimInUse(claim)
      ) {
        this.store.remove('persistentvolumeclaims', namespace, claim.metadata.name);
      }
    }
  }

  private claimInUse(claim: KubeObject): boolean {
    return this.store.list('pods', claim.metadata.namespace).some((pod) => {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed' && claimNames(pod).includes(claim.metadata.name);
    });
  }

  private dependents(owner: KubeObject): { resource: ResourceName; object: KubeObject }[] {
    return (Object.keys(RESOURCES) as ResourceName[]).flatMap((resource) =>
      this.store
        .list(resource, owner.metadata.namespace)
        .filter((o) => o.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid))
        .map((object) => ({ resource, object })),
    );
  }

  private ownerExists(dependent: KubeObject, uid: string): boolean {
    return (Object.keys(RESOURCES) as ResourceName[]).some((resource) =>
      this.store.list(resource, dependent.metadata.namespace).some((o) => o.metadata.uid === uid),
    );
  }

  private orphanDependents(owner: KubeObject): void {
    for (const { resource, object } of this.dependents(owner)) {
      this.store.update(resource, object.metadata.namespace ?? 'default', object.metadata.name, (o) => {
        o.metadata.ownerReferences = o.metadata.ownerReferences?.filter(
          (ref) => ref.uid !== owner.metadata.uid,
        );
      });
    }
  }

  private applyDefaults(resource: ResourceName, object: KubeObject): void {
    if (resource === 'secrets') {
      mergeStringData(object);
      object.type ??= 'Opaque';
    }
    if (resource === 'persistentvolumeclaims') object.status = { phase: 'Pending' };
    if (resource === 'pods') {
      const spec = (object.spec ?? {}) as Record<string, unknown>;
      spec.restartPolicy ??= 'Always';
      spec.terminationGracePeriodSeconds ??= 30;
      spec.dnsPolicy ??= 'ClusterFirst';
      spec.schedulerName ??= 'default-scheduler';
      spec.serviceAccountName ??= 'default';
      // The DefaultTolerationSeconds admission plugin: five minutes on a NotReady/unreachable node.
      const tolerations = (spec.tolerations ?? []) as { key?: string }[];
      for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
        if (!tolerations.some((t) => t.key === key)) {
          tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 } as {
            key: string;
          });
        }
      }
      spec.tolerations = tolerations;
      object.spec = spec;
      object.status = { phase: 'Pending', qosClass: 'BestEffort' };
    }
  }
}

function mergeStringData(secret: KubeObject): void {
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (!stringData) return;
  const data = { ...((secret.data as Record<string, string>) ?? {}) };
  for (const [key, value] of Object.entries(stringData))
    data[key] = Buffer.from(String(value)).toString('base64');
  secret.data = data;
  delete secret.stringData;
}
