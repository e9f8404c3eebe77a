import { SecretBox } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { CommitState, forgeFor, ForgeName } from '@kiln/forge';
import { guardedRequest, NetGuard, netGuardFrom } from '@kiln/net-guard';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { runLink } from './run-link';

export type { CommitState };

const REQUEST_TIMEOUT_MS = 10_000;

export class ProviderRequestError extends Error {}

/**
 * Reports a run's state as a commit status on the project's forge (@kiln/forge), with a link to
 * the run. Needs the provider API token stored as a project secret (KILN_PROVIDER_TOKEN by
 * default); projects without one (or whose provider has no forge, such as `git`) get no status.
 */
@Injectable()
export class CommitStatusService {
  private readonly logger = new Logger(CommitStatusService.name);
  private readonly box: SecretBox;
  private readonly guard: NetGuard;
  /** One API per forge: a forge added to the registry does not compile here until its URL is configured. */
  private readonly apiUrls: Record<ForgeName, string>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
  ) {
    this.box = new SecretBox(config.KILN_SECRET_KEY);
    // The API hosts are the operator's choice (a self-managed GitLab may well be private); the
    // path carries the tenant's repository name, so the request still goes through the guard.
    this.apiUrls = { github: config.KILN_GITHUB_API_URL, gitlab: config.KILN_GITLAB_API_URL };
    const apiHosts = Object.values(this.apiUrls).map((u) => new URL(u).hostname);
    this.guard = netGuardFrom(config, apiHosts);
  }

  async report(runId: string, state: CommitState): Promise<void> {
    const run = await this.prisma.run.findUnique({ where: { id: runId }, include: { project: true, pipeline: true } });
    if (!run?.commitSha || !run.project.repoFullName) return;
    // Plain git has no forge; a provider without one is an error, never another provider's API.
    const forge = forgeFor(run.project.provider);
    if (!forge) return;
    const apiUrl = this.apiUrls[forge.name];
    const secret = await this.prisma.secret.findUnique({
      where: { projectId_name: { projectId: run.projectId, name: this.config.KILN_PROVIDER_TOKEN_SECRET } },
    });
    if (!secret) return;
    const token = this.box.decrypt(secret.valueEnc, run.projectId);
    const request = forge.commitStatusRequest(apiUrl, run.project.repoFullName, run.commitSha, token, {
      state,
      targetUrl: runLink(this.config.KILN_PUBLIC_URL, run.projectId, run.id),
      description: `Run #${run.number} ${state === 'pending' ? 'is running' : run.status}`,
      context: `kiln/${run.pipeline.name}`,
    });
    const res = await guardedRequest(this.guard, request.url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': 'kiln' },
      body: JSON.stringify(request.body),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    if (res.status < 200 || res.status >= 300) {
      throw new ProviderRequestError(`${run.project.provider} commit status answered ${res.status}: ${res.body.slice(0, 200)}`);
    }
    this.logger.log({ runId, state, provider: run.project.provider }, 'commit status reported');
  }
}
