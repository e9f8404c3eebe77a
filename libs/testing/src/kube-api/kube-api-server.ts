import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { ApiError, badRequest, failureStatus, notFound } from './api-status';
import { isResource, KubeObject, metaTime, RESOURCES, ResourceName } from './kube-object';
import { ObjectStore } from './object-store';
import { PodSubresources } from './pod-subresources';
import { RbacPolicy, rbacDenial } from './rbac';
import { DeleteOptions, PropagationPolicy, ResourceApi } from './resource-api';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import { WatchStreams } from './watch-stream';

const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** What RBAC would check for one request: verb, resource (with subresource), namespace and name. */
export interface RequestAttributes {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/** The HTTP face of the simulator: core/v1 paths, bearer-token auth, Status errors, watches. */
export function createKubeApiServer(deps: {
  requests: RequestAttributes[];
  token: string;
  store: ObjectStore;
  api: ResourceApi;
  watches: WatchStreams;
  subresources: PodSubresources;
  namespaces: Set<string>;
  /** The client's Role, when RBAC is enforced (else every authenticated request is allowed). */
  rbac: () => RbacPolicy | undefined;
}): Server {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      authorize(req);
      const url = new URL(req.url ?? '/', 'http://simulator');
      const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
      if (!match) throw notFound('path', url.pathname);
      const request = { verb: 'get', resource: 'pods/exec', namespace: match[1], name: match[2] };
      deps.requests.push(request);
      authorizeRbac(request);
      deps.subresources.exec(req, socket, head, match[1], match[2], url.searchParams);
    } catch (error) {
      const status =
        error instanceof ApiError ? error.toStatus() : failureStatus(500, 'InternalError', String(error));
      const body = JSON.stringify(status);
      socket.end(
        `HTTP/1.1 ${status.code} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
  });

  function authorize(req: IncomingMessage): void {
    if (req.headers.authorization !== `Bearer ${deps.token}`)
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  // Dry runs are authorized like the request they stand for (kube-apiserver does the same).
  function authorizeRbac(request: RequestAttributes): void {
    const denial = rbacDenial(deps.rbac(), request);
    if (denial) throw denial;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    authorize(req);
    const url = new URL(req.url ?? '/', 'http://simulator');
    const query = url.searchParams;
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts[0] === 'api') {
      const request = attributes(method, parts, query);
      deps.requests.push(request);
      authorizeRbac(request);
    }
    if (url.pathname === '/version')
      return send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-kiln-simulator' });
    if (parts[0] !== 'api' || parts[1] !== 'v1') throw notFound('path', url.pathname);
    if (parts.length === 2)
      return send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [] });

    if (parts[2] === 'namespaces' && (parts.length === 3 || parts.length === 4))
      return namespaceRoute(req, res, method, parts[3]);
    if (parts[2] !== 'namespaces' && parts.length === 3 && isResource(parts[2]) && method === 'GET') {
      return listOrWatch(res, parts[2], undefined, query);
    }
    const [, , , namespace, resource, name, subresource] = parts;
    if (parts[2] !== 'namespaces' || !resource || !isResource(resource) || parts.length > 7)
      throw notFound('path', url.pathname);
    if (subresource === 'log' && resource === 'pods' && method === 'GET')
      return deps.subresources.log(res, namespace, name, query);
    if (subresource) throw notFound('path', url.pathname);

    const dryRun = query.get('dryRun') === 'All';
    if (!name) {
      if (method === 'GET') return listOrWatch(res, resource, namespace, query);
      if (method === 'POST')
        return send(res, 201, deps.api.create(resource, namespace, await body(req), dryRun));
      if (method === 'DELETE') {
        const items = deps.api.deleteCollection(
          resource,
          namespace,
          selector(query),
          await deleteOptions(req, query),
        );
        return send(res, 200, list(resource, items));
      }
    } else {
      if (method === 'GET') return send(res, 200, deps.api.get(resource, namespace, name));
      if (method === 'PUT')
        return send(res, 200, deps.api.replace(resource, namespace, name, await body(req)));
      if (method === 'PATCH') {
        return send(
          res,
          200,
          deps.api.patch(resource, namespace, name, await body(req), req.headers['content-type'] ?? ''),
        );
      }
      if (method === 'DELETE') {
        const result = deps.api.delete(
          resource,
          namespace,
          name,
          await deleteOptions(req, query),
        ) as KubeObject;
        return send(res, result.metadata?.deletionTimestamp ? 202 : 200, result);
      }
    }
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource`,
    );
  }

  async function namespaceRoute(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    name?: string,
  ): Promise<void> {
    const namespaceObject = (n: string) => ({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: n, creationTimestamp: metaTime() },
      status: { phase: 'Active' },
    });
    if (name && method === 'GET') {
      if (!deps.namespaces.has(name)) throw notFound('namespaces', name);
      return send(res, 200, namespaceObject(name));
    }
    if (!name && method === 'GET') {
      return send(res, 200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: {},
        items: [...deps.namespaces].map(namespaceObject),
      });
    }
    if (!name && method === 'POST') {
      const created = (await body(req)) as KubeObject;
      if (deps.namespaces.has(created.metadata?.name))
        throw new ApiError(409, 'AlreadyExists', `namespaces "${created.metadata.name}" already exists`);
      deps.namespaces.add(created.metadata.name);
      return send(res, 201, namespaceObject(created.metadata.name));
    }
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on namespaces');
  }

  function listOrWatch(
    res: ServerResponse,
    resource: ResourceName,
    namespace: string | undefined,
    query: URLSearchParams,
  ) {
    const matches = selector(query);
    if (query.get('watch') === 'true' || query.get('watch') === '1') {
      return deps.watches.serve(res, {
        resource,
        namespace,
        matches,
        resourceVersion: query.get('resourceVersion') ?? undefined,
        timeoutSeconds: query.has('timeoutSeconds') ? Number(query.get('timeoutSeconds')) : undefined,
      });
    }
    let items = deps.store.list(resource, namespace).filter(matches);
    if (query.has('limit') && Number(query.get('limit')) > 0)
      items = items.slice(0, Number(query.get('limit')));
    send(res, 200, list(resource, items));
  }

  function list(resource: ResourceName, items: KubeObject[]) {
    return {
      kind: RESOURCES[resource].listKind,
      apiVersion: 'v1',
      metadata: { resourceVersion: String(deps.store.resourceVersion) },
      items,
    };
  }

  return server;
}

// /api/v1/namespaces/{namespace}/{resource}/{name}/{subresource}, or /api/v1/{resource}/{name}.
function attributes(method: string, parts: string[], query: URLSearchParams): RequestAttributes {
  const namespaced = parts[2] === 'namespaces' && parts.length > 4;
  const [resource = '', name, subresource] = namespaced ? parts.slice(4) : parts.slice(2);
  const watching = query.get('watch') === 'true' || query.get('watch') === '1';
  let verb =
    ({ POST: 'create', PUT: 'update', PATCH: 'patch' } as Record<string, string>)[method] ??
    method.toLowerCase();
  if (method === 'GET') verb = name ? 'get' : watching ? 'watch' : 'list';
  if (method === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  return {
    verb,
    resource: subresource ? `${resource}/${subresource}` : resource,
    namespace: namespaced ? parts[3] : undefined,
    ...(name ? { name } : {}),
  };
}

function selector(query: URLSearchParams): (object: KubeObject) => boolean {
  try {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    return (object) => labels(object) && fields(object);
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const raw = await readBody(req);
  const fromBody = raw ? (JSON.parse(raw) as DeleteOptions & { dryRun?: string[] | boolean }) : {};
  const grace = query.get('gracePeriodSeconds') ?? fromBody.gracePeriodSeconds;
  return {
    gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
    propagationPolicy: (query.get('propagationPolicy') ?? fromBody.propagationPolicy) as
      PropagationPolicy | undefined,
    dryRun:
      query.get('dryRun') === 'All' || (Array.isArray(fromBody.dryRun) && fromBody.dryRun.includes('All')),
  };
}

async function body(req: IncomingMessage): Promise<KubeObject> {
  const raw = await readBody(req);
  try {
    return JSON.parse(raw) as KubeObject;
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, code: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status =
    error instanceof ApiError ? error.toStatus() : failureStatus(500, 'InternalError', String(error));
  send(res, status.code as number, status);
}
