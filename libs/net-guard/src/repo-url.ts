import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a repository URL names: a host git connects to, or a directory on this server. */
export type RepoUrlParts =
  | { ok: true; kind: 'network'; scheme: string; host: string; port: number; fullName: string | null }
  | { ok: true; kind: 'local'; path: string; fullName: null }
  | { ok: false; reason: string };

const SCP_LIKE = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)([^\s]+)$/;
const DEFAULT_PORTS: Record<string, number> = { 'https:': 443, 'http:': 80, 'ssh:': 22, 'git:': 9418 };

/**
 * Whether git can clone `url` and Kiln should let it, by its text alone: https, http, ssh, git and
 * `user@host:path` always; `file://` and absolute paths only with KILN_ALLOW_LOCAL_REPOS (they
 * read the server's own disk). Also derives `owner/name` (GitLab: `group/sub/name`) for routing
 * provider webhooks. Where the host or path leads is RepoGuard's question.
 */
export function parseRepoUrl(url: string, allowLocal: boolean): RepoUrlParts {
  if (url !== url.trim() || /[\s\p{Cc}]/u.test(url))
    return fail('must not contain spaces or control characters');
  // A leading "-" would be read by git as an option; "ext::" runs arbitrary commands.
  if (url.startsWith('-')) return fail('must not start with "-"');
  if (/^[a-z][a-z0-9+.-]*::/i.test(url))
    return fail('git remote helpers ("transport::address") are not allowed');
  if (isAbsolute(url) || url.startsWith('file:')) {
    if (!allowLocal) return fail('local paths and file:// URLs are refused (KILN_ALLOW_LOCAL_REPOS is off)');
    if (url.startsWith('file:') && !url.startsWith('file:///'))
      return fail('a file URL must be file:///absolute/path');
    return {
      ok: true,
      kind: 'local',
      path: url.startsWith('file:') ? fileURLToPath(url) : url,
      fullName: null,
    };
  }
  const location = repoLocation(url);
  if ('reason' in location) return fail(location.reason);
  // The URL is shown to every member of the project. An ssh user name ("git@") is no secret; a
  // password, or an http(s) user part (where tokens go), is.
  if (location.credentials) return fail('must not contain credentials: put credentials in a secret');
  const { scheme, host, port, fullName } = location;
  return { ok: true, kind: 'network', scheme, host, port, fullName };
}

/** Where a network repository URL leads, read from its text alone. */
export interface RepoLocation {
  scheme: string;
  host: string;
  port: number;
  /** `owner/name` (GitLab: `group/sub/name`) without `.git`; null when the path has no owner. */
  fullName: string | null;
  /** A password, or a user part outside ssh (where tokens go). */
  credentials: boolean;
}

/**
 * The one reader of network repository URLs (https, http, ssh, git and `user@host:path`): what
 * RepoGuard vets and what webhook routing keys repositories by (`repositoryKey` of @kiln/forge).
 */
export function repoLocation(url: string): RepoLocation | { reason: string } {
  const scp = url.includes('://') ? null : SCP_LIKE.exec(url);
  if (scp) return { scheme: 'ssh', host: scp[2]!, port: 22, fullName: fullNameOf(scp[3]!), credentials: false };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { reason: 'is not a URL git can clone (https://, ssh://, git:// or user@host:path)' };
  }
  const port = DEFAULT_PORTS[parsed.protocol];
  if (port === undefined) return { reason: `scheme "${parsed.protocol.slice(0, -1)}" is not supported` };
  if (!parsed.hostname) return { reason: 'has no host' };
  return {
    scheme: parsed.protocol.slice(0, -1),
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : port,
    fullName: fullNameOf(safeDecode(parsed.pathname)),
    credentials: parsed.password !== '' || (parsed.username !== '' && parsed.protocol !== 'ssh:'),
  };
}

function fullNameOf(path: string): string | null {
  const name = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  return name.includes('/') ? name : null;
}

// A malformed escape (`%E0%A4`) stays as written rather than failing the whole URL.
function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function fail(reason: string): RepoUrlParts {
  return { ok: false, reason: `repo_url ${reason}` };
}
