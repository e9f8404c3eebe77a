import { PrismaService, WebhookDelivery } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export type NewDelivery = Omit<WebhookDelivery, 'id' | 'receivedAt'>;

/** Which delivery claimed the `(provider, delivery_id)` key: this one, or an earlier one (a replay). */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  replayed: boolean;
}

/**
 * The `webhook_deliveries` table as the arbiter of "first delivery wins": its unique
 * `(provider, delivery_id)` key decides between replicas and across restarts, never memory.
 */
@Injectable()
export class DeliveryLedgerService {
  constructor(private readonly prisma: PrismaService) {}

  async claim(entry: NewDelivery): Promise<ClaimedDelivery> {
    // INSERT … ON CONFLICT DO NOTHING RETURNING: a replay costs no error, only an empty answer.
    // Written as SQL because Prisma compiles createManyAndReturn anew on every call (its query plan
    // cache skips createMany*): that compilation was about a third of the receiver's CPU per delivery.
    const [inserted] = await this.prisma.$queryRaw<WebhookDelivery[]>`
      INSERT INTO webhook_deliveries
             (id, provider, delivery_id, event, project_id, pipeline_id, status, reason, run_id, body_sha256)
      VALUES (${randomUUID()}::uuid, ${entry.provider}, ${entry.deliveryId}, ${entry.event},
              ${entry.projectId}::uuid, ${entry.pipelineId}::uuid, ${entry.status}::"DeliveryStatus",
              ${entry.reason}, ${entry.runId}::uuid, ${entry.bodySha256})
      ON CONFLICT (provider, delivery_id) DO NOTHING
      RETURNING id, provider, delivery_id AS "deliveryId", event, project_id AS "projectId",
                pipeline_id AS "pipelineId", status, reason, run_id AS "runId",
                body_sha256 AS "bodySha256", received_at AS "receivedAt"`;
    if (inserted) return { delivery: inserted, replayed: false };
    // The unique index made this insert wait for the winner's commit, so its row is visible now.
    const existing = await this.prisma.webhookDelivery.findUniqueOrThrow({
      where: { provider_deliveryId: { provider: entry.provider, deliveryId: entry.deliveryId } },
    });
    return { delivery: existing, replayed: true };
  }
}
