import { AuthError, ServerError } from '../errors';
import { Credentials } from '../config/cli-config';

export type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  accept?: string;
  /** Streams (logs, downloads) have no overall deadline; JSON calls do. */
  timeoutMs?: number | null;
  headers?: Record<string, string>;
}

export interface StreamOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

const JSON_TIMEOUT_MS = 30_000;

/** The gateway's REST API: authenticates every call and turns failures into one-line CLI errors. */
export class ApiClient {
  constructor(
    private readonly credentials: Credentials,
    private readonly userAgent = 'kiln-cli',
  ) {}

  get server(): string {
    return this.credentials.server;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, { body });
  }

  async delete(path: string): Promise<void> {
    await this.json<void>('DELETE', path, {});
  }

  /** Every item of a paginated list, following `next_cursor`. */
  async all<T>(path: string, query: Query = {}, max = 10_000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; next_cursor: string | null }>(path, {
        ...query,
        limit: 100,
        cursor,
      });
      items.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && items.length < max);
    return items;
  }

  /** A raw response (logs, downloads) whose status is already checked. */
  stream(path: string, accept: string, options: StreamOptions = {}): Promise<Response> {
    return this.send('GET', path, { accept, timeoutMs: null, headers: options.headers }, options.signal);
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.credentials.server}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const res = await this.send(method, path, { ...options, accept: 'application/json' });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new ServerError(
        `${method} ${path} answered ${res.status} with something that is not JSON`,
        res.status,
      );
    }
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.credentials.token}`,
      accept: options.accept ?? 'application/json',
      'user-agent': this.userAgent,
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const timeout =
      options.timeoutMs === null ? undefined : AbortSignal.timeout(options.timeoutMs ?? JSON_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(this.url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: signal && timeout ? AbortSignal.any([signal, timeout]) : (signal ?? timeout),
      });
    } catch (error) {
      throw new ServerError(`cannot reach ${this.credentials.server}: ${describeFetchError(error)}`);
    }
    if (!res.ok) throw await errorFrom(res, method, path, this.credentials.server);
    return res;
  }
}

async function errorFrom(res: Response, method: string, path: string, server: string): Promise<Error> {
  const body = await res.text().catch(() => '');
  let message = body.trim().slice(0, 300) || res.statusText;
  let details: unknown;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; details?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
    details = parsed.details;
  } catch {
    // Not the API's JSON error (a proxy's HTML page, say): its text is shown as it is.
  }
  if (res.status === 401) {
    return new AuthError(`${server} refused the token (${message}); run \`kiln login\` or check KILN_TOKEN`);
  }
  if (res.status === 403) return new AuthError(`not allowed: ${message}`);
  return new ServerError(`${method} ${path} failed with ${res.status}: ${message}`, res.status, details);
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer within 30 s';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
