import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const TIMEOUT_MS = 10 * 60_000;

export interface CacheServiceTarget {
  baseUrl: string;
  internalToken: string;
}

export type SaveAnswer =
  | { kind: 'saved' }
  | { kind: 'exists' }
  | { kind: 'too-large'; maxBytes: number }
  | { kind: 'refused'; message: string };

/**
 * The artifact-service's cache API (`/internal/caches/:project/:key`). A restore answers the
 * gzipped tar with the key it was found under, or null on a miss.
 */
export class CacheClient {
  constructor(private readonly target: CacheServiceTarget) {}

  async restore(
    projectId: string,
    key: string,
    restoreKeys: string[],
  ): Promise<{ key: string; size: number; body: IncomingMessage } | null> {
    const url = this.url(projectId, key);
    for (const prefix of restoreKeys) url.searchParams.append('restore', prefix);
    const response = await this.send(url, 'GET');
    if (response.statusCode === 404) {
      response.resume();
      return null;
    }
    if (response.statusCode !== 200) throw new Error(await describe(response));
    return {
      key: String(response.headers['x-kiln-cache-key'] ?? key),
      size: Number(response.headers['content-length'] ?? 0),
      body: response,
    };
  }

  /** Streams `archive` (gzipped tar) as the entry of `key`; the service's answer wins over a cut-off body. */
  async save(projectId: string, key: string, archive: Readable): Promise<SaveAnswer> {
    const url = this.url(projectId, key);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'PUT',
      timeout: TIMEOUT_MS,
      headers: { 'content-type': 'application/gzip', ...this.auth() },
    });
    const answer = this.answer(request);
    const sent = pipeline(archive, request).catch(() => undefined);
    const [response] = await Promise.all([answer, sent]);
    archive.destroy();
    if (response.statusCode === 201) return drained(response, { kind: 'saved' });
    if (response.statusCode === 200) return drained(response, { kind: 'exists' });
    const body = await text(response);
    if (response.statusCode === 413) return { kind: 'too-large', maxBytes: maxBytesOf(body) };
    return { kind: 'refused', message: `artifact-service answered ${response.statusCode}: ${body.slice(0, 300)}` };
  }

  private url(projectId: string, key: string): URL {
    return new URL(`/internal/caches/${encodeURIComponent(projectId)}/${encodeURIComponent(key)}`, this.target.baseUrl);
  }

  private auth(): Record<string, string> {
    return { 'x-kiln-internal-token': this.target.internalToken };
  }

  private send(url: URL, method: string): Promise<IncomingMessage> {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method,
      timeout: TIMEOUT_MS,
      headers: this.auth(),
    });
    const answer = this.answer(request);
    request.end();
    return answer;
  }

  private answer(request: ReturnType<typeof httpRequest>): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
      request.once('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    });
  }
}

async function text(response: IncomingMessage): Promise<string> {
  let body = '';
  for await (const piece of response) body += piece;
  return body;
}

async function describe(response: IncomingMessage): Promise<string> {
  return `artifact-service answered ${response.statusCode}: ${(await text(response)).slice(0, 300)}`;
}

async function drained<T>(response: IncomingMessage, value: T): Promise<T> {
  await text(response);
  return value;
}

/** The limit a 413 names (`details.max_bytes`); NaN when a proxy answered with a body of its own. */
function maxBytesOf(body: string): number {
  try {
    return Number((JSON.parse(body) as { details?: { max_bytes?: unknown } }).details?.max_bytes);
  } catch {
    // Not the artifact-service's JSON: the limit is unknown, the refusal is still a size refusal.
    return NaN;
  }
}
