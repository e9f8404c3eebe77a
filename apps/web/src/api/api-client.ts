import { FieldProblem, Page } from '@kiln/api-wire';

export type Query = Record<string, string | number | boolean | undefined | null>;

/** An error answer of the API (`{statusCode, error, message, details?}`) or a failed connection (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The fields a 400 names (`details: [{field, message}]`), for errors shown next to each field. */
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

/** The gateway's API from the browser: same origin, the token in a header, errors as ApiError. */
export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly base = '',
    private readonly onUnauthenticated: () => void = () => {},
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }

  async delete(path: string): Promise<void> {
    await this.json<void>('DELETE', path);
  }

  /** Every item of a paginated list. */
  async all<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < 5000);
    return items;
  }

  /** A raw answer (logs, downloads), status checked. */
  async fetch(
    path: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    return this.send('GET', this.url(path), undefined, init.headers ?? {}, init.signal);
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.base}${path}${search ? `?${search}` : ''}`;
  }

  private async json<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const res = await this.send(method, this.url(path, query), body, { accept: 'application/json' });
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        signal,
        headers: {
          'x-api-key': this.token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'The server cannot be reached. Check the connection and try again.');
    }
    if (res.ok) return res;
    const { message, fields } = await errorBody(res);
    if (res.status === 401) this.onUnauthenticated();
    throw new ApiError(res.status, message, fields);
  }
}

async function errorBody(res: Response): Promise<{ message: string; fields: FieldProblem[] }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; details?: unknown };
    if (typeof body.message === 'string')
      return { message: body.message, fields: fieldProblems(body.details) };
  } catch {
    // Not the API's JSON error (a proxy page): the status line says enough.
  }
  return { message: `${res.status} ${res.statusText || 'error'}`, fields: [] };
}

function fieldProblems(details: unknown): FieldProblem[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is FieldProblem =>
      typeof (d as FieldProblem)?.field === 'string' && typeof (d as FieldProblem)?.message === 'string',
  );
}
