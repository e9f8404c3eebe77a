import { GitRunner } from '@kiln/git';
import { repoGuardFrom } from '@kiln/net-guard';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

const LS_REMOTE_TIMEOUT_MS = 5000;

export interface RefKind {
  branch?: string;
  tag?: string;
}

/**
 * What a manual run's git_ref names, so the run records its branch or tag. The scheduler
 * resolves the commit; this only labels it, so an unreachable repository is not an error here.
 */
@Injectable()
export class GitRefService {
  private readonly logger = new Logger(GitRefService.name);
  private readonly git: GitRunner;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.git = new GitRunner(repoGuardFrom(config));
  }

  async classify(repoUrl: string, ref: string): Promise<RefKind> {
    if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
    if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
    if (/^[0-9a-f]{40}$/i.test(ref)) return {};
    const remote = await this.lsRemote(repoUrl, ref);
    if (remote?.heads) return { branch: ref };
    if (remote?.tags) return { tag: ref };
    // Not found (or not reachable): a short hex string is taken for an abbreviated sha.
    return /^[0-9a-f]{7,39}$/i.test(ref) ? {} : { branch: ref };
  }

  private async lsRemote(repoUrl: string, ref: string): Promise<{ heads: boolean; tags: boolean } | null> {
    try {
      // Through the SSRF guard like every fetch: a refused URL is only unlabelled here.
      const stdout = await this.git.remote(
        repoUrl,
        ['ls-remote', '--', repoUrl, `refs/heads/${ref}`, `refs/tags/${ref}`],
        {
          timeoutMs: LS_REMOTE_TIMEOUT_MS,
        },
      );
      const names = stdout.split('\n').map((line) => line.split('\t')[1]);
      return { heads: names.includes(`refs/heads/${ref}`), tags: names.includes(`refs/tags/${ref}`) };
    } catch (error) {
      this.logger.debug(
        { error: String(error) },
        'ls-remote failed or refused; the scheduler will report the ref',
      );
      return null;
    }
  }
}
