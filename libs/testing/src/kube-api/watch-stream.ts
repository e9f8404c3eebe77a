import { ServerResponse } from 'node:http';
import { failureStatus } from './api-status';
import { KubeObject, ResourceName } from './kube-object';
import { ObjectStore, StoreEvent } from './object-store';

export interface WatchRequest {
  resource: ResourceName;
  /** Undefined watches every namespace. */
  namespace?: string;
  matches(object: KubeObject): boolean;
  resourceVersion?: string;
  timeoutSeconds?: number;
}

/**
 * Serves one watch as kube-apiserver does: newline-delimited `{type, object}` events, starting with
 * synthetic ADDED events when no resource version is given, replaying history after a given one,
 * or a single ERROR event with a 410 Status when that version is too old.
 */
export class WatchStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: ObjectStore) {}

  get count(): number {
    return this.open.size;
  }

  serve(res: ServerResponse, request: WatchRequest): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const relevant = (event: StoreEvent) =>
      event.resource === request.resource &&
      (request.namespace === undefined || event.object.metadata.namespace === request.namespace) &&
      request.matches(event.object);

    const since =
      request.resourceVersion && request.resourceVersion !== '0'
        ? Number(request.resourceVersion)
        : undefined;
    if (since === undefined) {
      for (const object of this.store.list(request.resource, request.namespace).filter(request.matches))
        send('ADDED', object);
    } else {
      const history = Number.isNaN(since) ? 'expired' : this.store.eventsSince(since);
      if (history === 'expired') {
        send(
          'ERROR',
          failureStatus(
            410,
            'Expired',
            `too old resource version: ${request.resourceVersion} (${this.store.resourceVersion})`,
          ),
        );
        res.end();
        return;
      }
      for (const event of history.filter(relevant)) send(event.type, event.object);
    }

    const onEvent = (event: StoreEvent) => {
      if (relevant(event)) send(event.type, event.object);
    };
    this.store.on('event', onEvent);
    this.open.add(res);
    const timer = request.timeoutSeconds
      ? setTimeout(() => res.end(), request.timeoutSeconds * 1000)
      : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.store.off('event', onEvent);
      this.open.delete(res);
    });
  }

  /** Drops every open watch connection without a proper end (an API server restart, a proxy timeout). */
  breakAll(): void {
    for (const res of this.open) res.socket?.destroy();
  }

  endAll(): void {
    for (const res of this.open) res.end();
  }
}
