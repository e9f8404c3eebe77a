import { isAbsolute } from 'node:path';

export type RepoUrlCheck = { ok: true; fullName: string | null } | { ok: false; reason: string };

const SCP_LIKE = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)([^\s]+)$/;
const NETWORK_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:']);

/**
 * Whether git can clone `url` and Kiln should let it: https, http, ssh, git and `user@host:path`
 * always; `file://` and absolute paths only with KILN_ALLOW_LOCAL_REPOS (they read the server's own
 * disk). Also derives `owner/name` (GitLab: `group/sub/name`) for routing provider webhooks.
 */
export function checkRepoUrl(url: string, allowLocal: boolean): RepoUrlCheck {
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
    return { ok: true, fullName: null };
  }
  const scp = SCP_LIKE.exec(url);
  if (scp && !url.includes('://')) return { ok: true, fullName: fullNameOf(scp[3]!) };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('is not a URL git can clone (https://, ssh://, git:// or user@host:path)');
  }
  if (!NETWORK_SCHEMES.has(parsed.protocol))
    return fail(`scheme "${parsed.protocol.slice(0, -1)}" is not supported`);
  if (!parsed.hostname) return fail('has no host');
  // The URL is shown to every member: a password in it would leak; use project secrets instead.
  if (parsed.password) return fail('must not contain a password; keep credentials in project secrets');
  return { ok: true, fullName: fullNameOf(decodeURIComponent(parsed.pathname)) };
}

function fullNameOf(path: string): string | null {
  const name = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return name.includes('/') ? name : null;
}

function fail(reason: string): RepoUrlCheck {
  return { ok: false, reason: `repo_url ${reason}` };
}
