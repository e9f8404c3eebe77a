import { repoLocation } from '@kiln/net-guard';

/**
 * One key per repository however its URL is written: `host/owner/name`, lowercased, without
 * scheme, user, port, trailing slash or `.git`. `https://github.com/Acme/API.git`,
 * `git@github.com:acme/api` and `ssh://git@github.com:22/acme/api/` all give `github.com/acme/api`.
 * Read by net-guard's `repoLocation`, the same reader that vets repository URLs. Local paths and
 * unreadable URLs have no key.
 */
export function repositoryKey(url: string): string | undefined {
  const location = repoLocation(url.trim());
  if ('reason' in location || location.fullName === null) return undefined;
  return `${location.host}/${location.fullName}`.toLowerCase();
}
