import { SecretBox } from '@kiln/crypto';
import { PrismaService, Project, Run } from '@kiln/db';
import { CommitState, forgeFor, ForgeName } from '@kiln/forge';
import { guardedRequest, NetGuard, netGuardFrom } from '@kiln/net-guard';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { runLink } from './run-link';

export type { CommitState };

const REQUEST_TIMEOUT_MS = 10_000;

export class ProviderRequestError extends Error {}

/** What a status needs of the run, its project and pipeline, and the project's token (one statement: it runs twice per run). */
interface ReportedRun {
  id: string;
  projectId: string;
  number: number;
  status: Run['status'];
  commitSha: string | null;
  provider: Project['provider'];
  repoFullName: string | null;
  pipelineName: string;
  tokenEnc: string | null;
}

const RUN_TO_REPORT = {
  name: 'kiln-commit-status-run',
  text: `SELECT r.id, r.project_id AS "projectId", r.number, r.status, r.commit_sha AS "commitSha",
      p.provider, p.repo_full_name AS "repoFullName", pl.name AS "pipelineName", s.value_enc AS "tokenEnc"
    FROM runs r JOIN projects p ON p.id = r.project_id JOIN pipelines pl ON pl.id = r.pipeline_id
      LEFT JOIN secrets s ON s.project_id = r.project_id AND s.name = $2
    WHERE r.id = $1::uuid`,
};

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
    const { rows } = await this.prisma.pool.query<ReportedRun>({ ...RUN_TO_REPORT, values: [runId, this.config.KILN_PROVIDER_TOKEN_SECRET] });
    const run = rows[0];
    if (!run?.commitSha || !run.repoFullName) return;
    // Plain git has no forge; a provider without one is an error, never another provider's API.
    const forge = forgeFor(run.provider);
    if (!forge) return;
    const apiUrl = this.apiUrls[forge.name];
    if (!run.tokenEnc) return;
    const token = this.box.decrypt(run.tokenEnc, run.projectId);
    const request = forge.commitStatusRequest(apiUrl, run.repoFullName, run.commitSha, token, {
      state,
      targetUrl: runLink(this.config.KILN_PUBLIC_URL, run.projectId, run.id),
      description: `Run #${run.number} ${state === 'pending' ? 'is running' : run.status}`,
      context: `kiln/${run.pipelineName}`,
    });
    const res = await guardedRequest(this.guard, request.url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': 'kiln' },
      body: JSON.stringify(request.body),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    if (res.status < 200 || res.status >= 300) {
      throw new ProviderRequestError(`${run.provider} commit status answered ${res.status}: ${res.body.slice(0, 200)}`);
    }
    this.logger.log({ runId, state, provider: run.provider }, 'commit status reported');
  }
}
