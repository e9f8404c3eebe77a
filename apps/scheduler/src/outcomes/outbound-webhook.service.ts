import { hmacSha256Hex, SecretBox } from '@kiln/crypto';
import { PrismaService } from '@kiln/db';
import { guardedRequest, HostRefusedError, NetGuard } from '@kiln/net-guard';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from '../config';
import { runLink } from './run-link';

const REQUEST_TIMEOUT_MS = 10_000;
// What the project's admins read in last_error: never the connection's own error, which would
// tell them what listens where behind the platform.
const NOT_REACHED = 'not delivered: the receiver could not be reached or did not answer in time';

const ACTIVE_HOOKS_OF_RUN = {
  name: 'kiln-active-hooks-of-run',
  text: `SELECT count(*)::int AS hooks FROM outbound_webhooks h JOIN runs r ON r.project_id = h.project_id
    WHERE r.id = $1::uuid AND h.active`,
};

/**
 * Sends `build.success` / `build.failure` to a project's outbound webhooks: JSON signed with
 * HMAC-SHA256 (`X-Kiln-Signature-256: sha256=<hex>`, like GitHub's) and a delivery id the
 * receiver can de-duplicate on (retries reuse it). The SSRF guard vets each host and pins the
 * connection to the vetted address; redirects are not followed. Returns the hooks that failed.
 */
@Injectable()
export class OutboundWebhookService {
  private readonly logger = new Logger(OutboundWebhookService.name);
  private readonly box: SecretBox;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    private readonly guard: NetGuard,
  ) {
    this.box = new SecretBox(config.KILN_SECRET_KEY);
  }

  async send(runId: string): Promise<string[]> {
    // Most projects have no hook: one cheap statement spares them reading the run with its steps.
    const { rows } = await this.prisma.pool.query<{ hooks: number }>({ ...ACTIVE_HOOKS_OF_RUN, values: [runId] });
    if (!rows[0]?.hooks) return [];
    const run = await this.prisma.run.findUnique({ where: { id: runId }, include: { project: true, steps: true } });
    if (!run || (run.status !== 'succeeded' && run.status !== 'failed')) return [];
    const event = run.status === 'succeeded' ? 'build.success' : 'build.failure';
    const hooks = await this.prisma.outboundWebhook.findMany({
      where: { projectId: run.projectId, active: true, events: { has: event } },
    });
    const body = JSON.stringify({
      event,
      project: { id: run.project.id, name: run.project.name },
      run: {
        id: run.id,
        number: run.number,
        status: run.status,
        git_ref: run.gitRef,
        branch: run.branch,
        commit_sha: run.commitSha,
        error: run.error,
        url: runLink(this.config.KILN_PUBLIC_URL, run.projectId, run.id),
        finished_at: run.finishedAt?.toISOString() ?? null,
        steps: run.steps.map((s) => ({ name: s.name, status: s.status, exit_code: s.exitCode })),
      },
    });
    const failed: string[] = [];
    for (const hook of hooks) {
      const outcome = await this.deliver(hook.url, this.box.decrypt(hook.secretEnc, run.projectId), event, `${run.id}:${hook.id}`, body);
      await this.prisma.outboundWebhook.update({
        where: { id: hook.id },
        data: { lastStatusCode: outcome.status ?? null, lastError: outcome.error ?? null, lastSentAt: new Date() },
      });
      if (outcome.error) failed.push(hook.id);
    }
    return failed;
  }

  private async deliver(
    url: string,
    secret: string,
    event: string,
    deliveryId: string,
    body: string,
  ): Promise<{ status?: number; error?: string }> {
    try {
      const res = await guardedRequest(this.guard, url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'kiln',
          'x-kiln-event': event,
          'x-kiln-delivery': deliveryId,
          'x-kiln-signature-256': `sha256=${hmacSha256Hex(secret, body)}`,
        },
        body,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      if (res.status >= 200 && res.status < 300) return { status: res.status };
      if (res.status >= 300 && res.status < 400)
        return { status: res.status, error: `answered ${res.status}, a redirect; redirects are not followed` };
      return { status: res.status, error: `answered ${res.status}` };
    } catch (error) {
      this.logger.warn({ url, event, error: String(error) }, 'outbound webhook failed');
      if (error instanceof HostRefusedError) return { error: `not sent: the URL's host ${error.message}` };
      return { error: NOT_REACHED };
    }
  }
}
