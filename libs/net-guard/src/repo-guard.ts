import { isIP } from 'node:net';
import { localPathRefusal } from './local-roots';
import { HostRefusedError, HostUnresolvedError, NetGuard, VettedHost } from './net-guard';
import { parseRepoUrl } from './repo-url';

export interface RepoPolicy {
  /** KILN_ALLOW_LOCAL_REPOS */
  allowLocal: boolean;
  /** KILN_LOCAL_REPO_ROOTS: the only directories local repositories may be read from. */
  localRoots: string[];
  /** The platform's own directories (its data directory), never readable as a repository. */
  ownDirs: string[];
}

/** What a tenant reads when git cannot fetch a repository, whatever git said (git's words tell an open port from a closed one). */
export const CANNOT_FETCH_REPOSITORY =
  'cannot fetch the repository: it does not exist, is not reachable, or needs credentials';

export type RepoCheck =
  { ok: true; fullName: string | null; gitOptions: string[] } | { ok: false; reason: string };

// git follows an HTTP redirect by default: a public server could send it to an internal one.
const NO_REDIRECTS = ['-c', 'http.followRedirects=false'];

/** The guard for repository URLs: their text, where their host leads, or which directory they name. */
export class RepoGuard {
  constructor(
    private readonly guard: NetGuard,
    private readonly policy: RepoPolicy,
  ) {}

  /**
   * Whether Kiln may fetch `url`, and the `git -c` options to fetch it with (no redirects, the
   * connection pinned to the vetted address for http(s)). With `mustResolve` (before a fetch), a
   * host name that does not resolve is refused, since git would resolve it again on its own; when
   * a project is saved it passes, and every later fetch checks again.
   */
  async check(url: string, mustResolve: boolean): Promise<RepoCheck> {
    const parts = parseRepoUrl(url, this.policy.allowLocal);
    if (!parts.ok) return parts;
    if (parts.kind === 'local') {
      const refusal = await localPathRefusal(parts.path, this.policy.localRoots, this.policy.ownDirs);
      return refusal
        ? { ok: false, reason: `repo_url ${refusal}` }
        : { ok: true, fullName: null, gitOptions: [] };
    }
    let vetted: VettedHost;
    try {
      vetted = await this.guard.vet(parts.host);
    } catch (error) {
      if (error instanceof HostUnresolvedError && !mustResolve)
        return { ok: true, fullName: parts.fullName, gitOptions: NO_REDIRECTS };
      if (error instanceof HostRefusedError || error instanceof HostUnresolvedError)
        return { ok: false, reason: `repo_url host ${error.message}` };
      throw error;
    }
    const pin =
      (parts.scheme === 'https' || parts.scheme === 'http') && !isIP(vetted.host)
        ? [
            '-c',
            `http.curloptResolve=${vetted.host}:${parts.port}:${bracketed(vetted.addresses[0]!.address)}`,
          ]
        : [];
    return { ok: true, fullName: parts.fullName, gitOptions: [...NO_REDIRECTS, ...pin] };
  }
}

function bracketed(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}
