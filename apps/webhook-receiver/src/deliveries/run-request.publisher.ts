import { RunRequestedEvent, Subjects } from '@kiln/contracts';
import { ForgeEvent } from '@kiln/forge';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { WEBHOOK_CONFIG, WebhookConfig } from '../config';
import { ServiceUnavailableError } from '@kiln/errors';
import { PlannedRun } from '../triggers/run-planner.service';

/** Publishes a delivery's run requests on `kiln.run.requested`, or fails with 503 in bounded time. */
@Injectable()
export class RunRequestPublisher {
  private readonly logger = new Logger(RunRequestPublisher.name);

  constructor(
    private readonly messaging: MessagingService,
    @Inject(WEBHOOK_CONFIG) private readonly config: WebhookConfig,
  ) {}

  /**
   * Safe to call again for the same delivery: run ids are derived from it and every request
   * carries msg-id `run-requested:<runId>`. A publish still in flight after the timeout may land
   * later; the provider's retry is then answered as a replay of the same runs.
   */
  async publish(event: ForgeEvent, runs: PlannedRun[], deliveryRowId: string, requestedAt: Date): Promise<void> {
    const published = Promise.all(
      runs.map((run) =>
        this.messaging.publish(Subjects.RunRequested, this.request(event, run, deliveryRowId, requestedAt), {
          msgId: `run-requested:${run.runId}`,
        }),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no JetStream acknowledgement in time')), this.config.KILN_WEBHOOK_PUBLISH_TIMEOUT_MS);
    });
    try {
      await Promise.race([published, timeout]);
    } catch (error) {
      published.catch(() => undefined);
      this.logger.error(
        { deliveryId: deliveryRowId, runIds: runs.map((r) => r.runId), error: error instanceof Error ? error.message : String(error) },
        'run requests not queued',
      );
      throw new ServiceUnavailableError('the run requests could not be queued; deliver the webhook again');
    } finally {
      clearTimeout(timer);
    }
  }

  private request(event: ForgeEvent, run: PlannedRun, deliveryRowId: string, requestedAt: Date): RunRequestedEvent {
    return {
      version: 1,
      runId: run.runId,
      projectId: run.pipeline.projectId,
      pipelineId: run.pipeline.id,
      trigger: 'webhook',
      triggeredBy: event.sender.slice(0, 200),
      event: event.kind,
      gitRef: event.ref,
      ...(event.branch === undefined ? {} : { branch: event.branch }),
      ...(event.tag === undefined ? {} : { tag: event.tag }),
      commitSha: event.commitSha,
      ...(event.action === undefined ? {} : { mrAction: event.action }),
      ...(event.fromFork ? { fromFork: true } : {}),
      ...commitInfo(event),
      deliveryId: deliveryRowId,
      applyTriggerFilters: run.applyTriggerFilters,
      requestedAt: requestedAt.toISOString(),
    };
  }
}

/** What the run page shows of the commit, cut to fit the request; a merge request page only over http(s). */
function commitInfo(event: ForgeEvent): Pick<RunRequestedEvent, 'commitMessage' | 'commitAuthor' | 'pullRequestUrl'> {
  const { commitMessage, commitAuthor, pullRequestUrl } = event;
  return {
    ...(commitMessage === undefined ? {} : { commitMessage: commitMessage.slice(0, 2000) }),
    ...(commitAuthor === undefined ? {} : { commitAuthor: commitAuthor.slice(0, 200) }),
    ...(pullRequestUrl !== undefined && /^https?:\/\//i.test(pullRequestUrl) && pullRequestUrl.length <= 1000
      ? { pullRequestUrl }
      : {}),
  };
}
