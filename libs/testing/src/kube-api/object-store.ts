import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { alreadyExists, conflict, notFound } from './api-status';
import { clone, KubeObject, metaTime, RESOURCES, ResourceName } from './kube-object';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceName;
  object: KubeObject;
  resourceVersion: number;
}

/** How many past events a watch can resume from; older resource versions answer 410 Gone. */
const HISTORY_LIMIT = 20_000;

/**
 * The simulator's etcd: objects by resource, namespace and name, one global resource version
 * bumped on every write, and the recent event history that watches resume from.
 */
export class ObjectStore extends EventEmitter {
  private version = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  private oldestKept = 0;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  get resourceVersion(): number {
    return this.version;
  }

  create(resource: ResourceName, namespace: string, object: KubeObject): KubeObject {
    const key = keyOf(resource, namespace, object.metadata.name);
    if (this.objects.has(key)) throw alreadyExists(resource, object.metadata.name);
    const stored = clone(object);
    stored.apiVersion = 'v1';
    stored.kind = RESOURCES[resource].kind;
    stored.metadata = {
      ...stored.metadata,
      namespace,
      uid: randomUUID(),
      creationTimestamp: metaTime(),
      resourceVersion: String(++this.version),
    };
    this.objects.set(key, stored);
    this.record('ADDED', resource, stored);
    return clone(stored);
  }

  get(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    const object = this.objects.get(keyOf(resource, namespace, name));
    return object && clone(object);
  }

  mustGet(resource: ResourceName, namespace: string, name: string): KubeObject {
    const object = this.get(resource, namespace, name);
    if (!object) throw notFound(resource, name);
    return object;
  }

  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? `${resource}/` : `${resource}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, object]) => clone(object));
  }

  /** Applies `change` to a copy of the object and stores it; undefined when the object is gone. */
  update(
    resource: ResourceName,
    namespace: string,
    name: string,
    change: (object: KubeObject) => void,
    expectedVersion?: string,
  ): KubeObject | undefined {
    const key = keyOf(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    if (expectedVersion && expectedVersion !== current.metadata.resourceVersion)
      throw conflict(resource, name);
    const next = clone(current);
    change(next);
    next.metadata = { ...next.metadata, name, namespace, uid: current.metadata.uid };
    next.metadata.creationTimestamp = current.metadata.creationTimestamp;
    next.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, next);
    this.record('MODIFIED', resource, next);
    return clone(next);
  }

  remove(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    this.objects.delete(key);
    const gone = clone(current);
    gone.metadata.resourceVersion = String(++this.version);
    this.record('DELETED', resource, gone);
    return clone(gone);
  }

  /** Events after `resourceVersion`, or 'expired' when the history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion < this.oldestKept) return 'expired';
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Forgets the event history, as etcd compaction does: older watches must re-list. */
  compact(): void {
    this.history = [];
    this.oldestKept = this.version;
  }

  private record(type: WatchEventType, resource: ResourceName, object: KubeObject): void {
    const event: StoreEvent = { type, resource, object: clone(object), resourceVersion: this.version };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.oldestKept = dropped[dropped.length - 1].resourceVersion;
    }
    this.emit('event', event);
  }
}

function keyOf(resource: ResourceName, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}
