const SCP_LIKE = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/;

/**
 * One key per repository however its URL is written: `host/path`, lowercased, without scheme,
 * user, port, trailing slash or `.git`. `https://github.com/Acme/API.git`,
 * `git@github.com:acme/api` and `ssh://git@github.com:22/acme/api/` all give `github.com/acme/api`.
 * Local paths and unreadable URLs have no key.
 */
export function repositoryKey(url: string): string | undefined {
  const text = url.trim();
  const scp = text.includes('://') ? null : SCP_LIKE.exec(text);
  if (scp) return keyOf(scp[1], scp[2]);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol) || !parsed.hostname) return undefined;
  return keyOf(parsed.hostname, safeDecode(parsed.pathname));
}

function keyOf(host: string, path: string): string | undefined {
  const cleanPath = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  return cleanPath.includes('/') ? `${host}/${cleanPath}`.toLowerCase() : undefined;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
