import { NAME_MAX_LENGTH, NAME_PATTERN } from '@kiln/definition';
import { MAX_KEY_BYTES } from '@kiln/storage';
import { IncomingHttpHeaders } from 'node:http';
import { InvalidInputError } from '@kiln/errors';
import { isUuid } from '@kiln/api-wire';

// Control characters break logs and headers; NUL truncates paths in C libraries.
const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f');
// Long enough for any retention policy, short enough that the expiry is a valid date.
const MAX_EXPIRES_MS = 100 * 365 * 24 * 3_600_000;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** One validated `PUT /internal/artifacts/:runId/:name?path=…` request. */
export interface UploadRequest {
  runId: string;
  projectId: string;
  name: string;
  path: string;
  objectPath: string;
  contentType: string;
  expiresAt: Date | null;
  /** `junit`: the file is read as a JUnit report and its counts kept with its row. */
  report?: 'junit';
  /** Content-Length, when the client sent one (chunked uploads have none). */
  declaredSize?: number;
}

export interface RawUploadRequest {
  runId: string;
  name: string;
  query: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** Validates every part of the request at once and throws InvalidInputError listing each problem. */
export function parseUploadRequest(raw: RawUploadRequest, now = new Date()): UploadRequest {
  const problems: string[] = [];
  const runId = raw.runId.toLowerCase();
  const check = (problem: string | undefined) => problem && problems.push(problem);
  check(isUuid(runId) ? undefined : `runId "${raw.runId}" is not a UUID`);
  check(nameProblem(raw.name));
  const path = single(raw.query.path, 'path', problems);
  if (path !== undefined) check(pathProblem(path));
  const projectId = single(raw.headers['x-project-id'], 'X-Project-Id header', problems);
  if (projectId !== undefined && !isUuid(projectId)) problems.push('X-Project-Id header is not a UUID');
  const expiresMs = optionalSingle(raw.query.expires_ms, 'expires_ms', problems);
  check(expiresMs === undefined ? undefined : expiresProblem(expiresMs));
  const report = optionalSingle(raw.query.report, 'report', problems);
  check(report === undefined || report === 'junit' ? undefined : `report "${report}" is not one of junit`);
  const objectPath = `artifacts/${runId}/${raw.name}/${path}`;
  if (problems.length === 0 && Buffer.byteLength(objectPath) > MAX_KEY_BYTES) {
    problems.push(`path is too long: the object path may have at most ${MAX_KEY_BYTES} bytes`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { problems });
  return {
    runId,
    projectId: projectId!.toLowerCase(),
    name: raw.name,
    path: path!,
    objectPath,
    contentType: contentTypeOf(raw.headers['content-type']),
    expiresAt: expiresMs === undefined ? null : new Date(now.getTime() + Number(expiresMs)),
    ...(report === 'junit' && { report }),
    declaredSize: declaredSizeOf(raw.headers['content-length']),
  };
}

function nameProblem(name: string): string | undefined {
  if (NAME_PATTERN.test(name) && name.length <= NAME_MAX_LENGTH) return undefined;
  return (
    `artifact name "${name}" is invalid: use at most ${NAME_MAX_LENGTH} lowercase letters, digits, ` +
    '"-", "_" and ".", starting and ending with a letter or digit'
  );
}

/** The file's path inside the artifact: relative, `/`-separated, never climbing out. */
export function pathProblem(path: string): string | undefined {
  if (path === '') return 'path must not be empty';
  if (path.includes('\u0000')) return 'path must not contain NUL';
  if (hasControlCharacter(path)) return 'path must not contain control characters';
  if (path.includes('\\')) return 'path must not contain backslashes; separate folders with "/"';
  if (path.startsWith('/')) return 'path must be relative, not start with "/"';
  const segments = path.split('/');
  if (segments.includes('..')) return 'path must not contain ".." segments';
  if (segments.some((s) => s === '' || s === '.')) return 'path must not contain empty or "." segments';
  return undefined;
}

function expiresProblem(value: string): string | undefined {
  if (!/^\d{1,15}$/.test(value))
    return `expires_ms "${value}" is not a non-negative whole number of milliseconds`;
  if (Number(value) > MAX_EXPIRES_MS) return `expires_ms may be at most ${MAX_EXPIRES_MS} (100 years)`;
  return undefined;
}

function contentTypeOf(header: string | undefined): string {
  const value = header?.trim();
  return value ? value.slice(0, 255) : DEFAULT_CONTENT_TYPE;
}

// Node has already refused a malformed Content-Length with 400 before any handler runs.
function declaredSizeOf(header: string | undefined): number | undefined {
  return header === undefined ? undefined : Number(header);
}

function single(value: unknown, what: string, problems: string[]): string | undefined {
  if (value === undefined || value === '') {
    problems.push(`${what} is required`);
    return undefined;
  }
  return optionalSingle(value, what, problems);
}

function optionalSingle(value: unknown, what: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`${what} must be given once`);
    return undefined;
  }
  return value;
}
