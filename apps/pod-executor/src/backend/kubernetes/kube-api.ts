import { CoreV1Api, Exec, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { request as httpRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What the API server said: its HTTP code (undefined for network errors) and Status message. */
export interface ApiProblem {
  code?: number;
  reason?: string;
  message: string;
}

/** The client configuration the options name: a given one, a kubeconfig file, in-cluster, or the default. */
export function loadKubeConfig(options: { kubeConfig?: KubeConfig; kubeconfigPath?: string }): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  const config = new KubeConfig();
  if (options.kubeconfigPath) config.loadFromFile(options.kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

/** The client-node APIs the backend uses, bound to one namespace. */
export class KubeApi {
  readonly core: CoreV1Api;
  readonly watch: Watch;
  readonly exec: Exec;

  constructor(
    readonly config: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
    this.watch = new Watch(config);
    this.exec = new Exec(config);
  }

  /** Options that make a PATCH body a JSON merge patch. */
  static readonly mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  /**
   * A streaming GET on the API server with the client's credentials and TLS settings. The pod log
   * API is read this way rather than through client-node's Log helper, which cannot tell a stream
   * that ended from one that broke — the difference decides whether the log is complete.
   */
  async stream(path: string, query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const options: RequestOptions & { headers: Record<string, string> } = {
      method: 'GET',
      headers: {},
      signal,
    };
    await this.config.applyToHTTPSOptions(options);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, resolve);
      req.on('error', reject);
      req.end();
    });
  }
}

/** Code and message of a failed client-node call (ApiException) or of a network error. */
export function apiProblem(error: unknown): ApiProblem {
  const e = error as { code?: unknown; body?: unknown; message?: string };
  const code = typeof e.code === 'number' ? e.code : undefined;
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // A plain-text body (a proxy's error page) is used as the message below.
    }
  }
  const status = body as { message?: string; reason?: string } | undefined;
  const message = status?.message ?? (typeof body === 'string' && body ? body : (e.message ?? String(error)));
  return { code, reason: status?.reason, message: message.slice(0, 1000) };
}

export const isNotFound = (error: unknown) => apiProblem(error).code === 404;
export const isConflict = (error: unknown) => apiProblem(error).code === 409;

/** Runs a delete, treating "already gone" as done. */
export async function deleteIfPresent(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Reads an object, or undefined when it does not exist. */
export async function readIfPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
