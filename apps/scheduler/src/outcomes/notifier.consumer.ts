import { RunFinishedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { CommitState, CommitStatusService } from './commit-status.service';
import { OutboundWebhookService } from './outbound-webhook.service';

// A cancelled run closes its pending status too, or the commit shows it running forever.
const FINAL_STATE: Record<RunFinishedEvent['status'], CommitState> = {
  succeeded: 'success',
  failed: 'failure',
  cancelled: 'cancelled',
};

/**
 * Reports finished runs to the outside world off the scheduling path; a provider that is
 * down is retried through JetStream redelivery (nak with backoff) up to max deliveries.
 */
@Injectable()
export class NotifierConsumer {
  constructor(
    private readonly statuses: CommitStatusService,
    private readonly webhooks: OutboundWebhookService,
  ) {}

  @EventConsumer({
    subject: Subjects.RunFinished,
    durable: 'scheduler-notifier',
    concurrency: 4,
    maxDeliver: 5,
    backoffMs: [2_000, 10_000, 30_000, 120_000],
  })
  async onRunFinished(event: RunFinishedEvent, ctx: { deliveryCount: number }): Promise<void> {
    // Webhooks go out once per run (each records its own outcome); redeliveries of this
    // message only retry the commit status.
    if (ctx.deliveryCount === 1) await this.webhooks.send(event.runId);
    await this.statuses.report(event.runId, FINAL_STATE[event.status]);
  }
}
