import { PrismaService, WebhookDelivery } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export type NewDelivery = Omit<WebhookDelivery, 'id' | 'receivedAt'>;

/** Which delivery claimed the `(provider, delivery_id)` key: this one, or an earlier one (a replay). */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  replayed: boolean;
}

const COLUMNS = `id, provider, delivery_id AS "deliveryId", event, project_id AS "projectId",
  pipeline_id AS "pipelineId", status, reason, run_id AS "runId", body_sha256 AS "bodySha256",
  received_at AT TIME ZONE 'UTC' AS "receivedAt"`;

type ClaimRow = WebhookDelivery & { replayed: boolean; fresh: boolean };

// One round trip for the common cases. `current` is whether the routing the delivery was
// planned with is still the database's ($11 null: do not check). Stale: nothing is inserted.
// A delivery id stored before this statement began comes back as a replay; one a concurrent
// statement is still inserting is waited for by ON CONFLICT but not visible to this snapshot,
// so it comes back as no row at all.
const CLAIM = {
  name: 'kiln-webhook-claim-delivery',
  text: `
    WITH current AS (
      SELECT $11::bigint IS NULL
             OR $11::bigint = (SELECT version FROM webhook_routing_version WHERE id = 1) AS fresh
    ), inserted AS (
      INSERT INTO webhook_deliveries
             (id, provider, delivery_id, event, project_id, pipeline_id, status, reason, run_id, body_sha256)
      SELECT $1::uuid, $2, $3, $4, $5::uuid, $6::uuid, $7::"DeliveryStatus", $8, $9::uuid, $10
        FROM current WHERE fresh
      ON CONFLICT (provider, delivery_id) DO NOTHING
      RETURNING ${COLUMNS}
    )
    SELECT *, false AS replayed, true AS fresh FROM inserted
    UNION ALL
    SELECT ${COLUMNS}, true AS replayed, (SELECT fresh FROM current) AS fresh
      FROM webhook_deliveries
     WHERE provider = $2 AND delivery_id = $3 AND NOT EXISTS (SELECT 1 FROM inserted)`,
};

const BY_KEY = {
  name: 'kiln-webhook-delivery-by-key',
  text: `SELECT ${COLUMNS} FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2`,
};

/**
 * The `webhook_deliveries` table as the arbiter of "first delivery wins": its unique
 * `(provider, delivery_id)` key decides between replicas and across restarts, never memory.
 * Written as SQL through pg: Prisma's per-call compilation and mapping were most of the
 * receiver's CPU per delivery.
 */
@Injectable()
export class DeliveryLedgerService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores the delivery unless its id was seen before. With a routing version, only while the
   * routing is still at that version: undefined means nothing was claimed and the delivery must
   * be planned again from fresh routing (this also covers the instant a replica is still
   * inserting the same id). Without one the claim always ends in this delivery or the first.
   */
  async claim(entry: NewDelivery, routingVersion: string | null): Promise<ClaimedDelivery | undefined> {
    const { rows } = await this.prisma.pool.query<ClaimRow>({
      ...CLAIM,
      values: [
        randomUUID(),
        entry.provider,
        entry.deliveryId,
        entry.event,
        entry.projectId,
        entry.pipelineId,
        entry.status,
        entry.reason,
        entry.runId,
        entry.bodySha256,
        routingVersion,
      ],
    });
    const [row] = rows;
    if (row) {
      const { replayed, fresh, ...delivery } = row;
      return fresh ? { delivery, replayed } : undefined;
    }
    if (routingVersion !== null) return undefined;
    // ON CONFLICT waited for the concurrent insert to commit, so a new snapshot sees its row.
    const { rows: existing } = await this.prisma.pool.query<WebhookDelivery>({
      ...BY_KEY,
      values: [entry.provider, entry.deliveryId],
    });
    if (!existing[0])
      throw new Error(`delivery ${entry.provider}/${entry.deliveryId} was neither stored nor found`);
    return { delivery: existing[0], replayed: true };
  }
}
