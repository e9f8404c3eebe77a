import { PrismaService, WebhookDelivery } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export type NewDelivery = Omit<WebhookDelivery, 'id' | 'receivedAt'>;

/** Which delivery claimed the `(provider, delivery_id)` key: this one, or an earlier one (a replay). */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  replayed: boolean;
}

interface PendingClaim {
  id: string;
  entry: NewDelivery;
  routingVersion: string | null;
  resolve: (claimed: ClaimedDelivery | undefined) => void;
  reject: (error: unknown) => void;
}

/** One per claim; the delivery columns are null when its row was inserted by a concurrent statement. */
type ClaimRow = WebhookDelivery & { n: string; replayed: boolean; fresh: boolean };

/** Claim statements in flight at once; claims arriving meanwhile wait and go together in the next. */
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 200;

const columns = (t: string) => `${t}.id, ${t}.provider, ${t}.delivery_id AS "deliveryId", ${t}.event,
  ${t}.project_id AS "projectId", ${t}.pipeline_id AS "pipelineId", ${t}.status, ${t}.reason,
  ${t}.run_id AS "runId", ${t}.body_sha256 AS "bodySha256", ${t}.received_at AT TIME ZONE 'UTC' AS "receivedAt"`;

// Many deliveries, one statement, one commit, one answer row per delivery. `fresh`: the routing
// it was planned with is still the database's (routing_version null: do not check); a stale one
// is not inserted. Rows are inserted in key order, so two replicas claiming overlapping groups
// cannot deadlock. A delivery id stored before this statement began comes back as a replay;
// one a concurrent statement was inserting is waited for by ON CONFLICT but is not visible to
// this snapshot: its row comes back empty (id null) and is read afterwards.
// An accepted delivery's body is claimed per provider and project in webhook_body_claims: one whose
// body another delivery id claimed less than 24 h ago is not inserted and comes back as a replay of
// that one (the delivery id is not signed, so a new id must not make an old body new). Ignored
// deliveries claim no body: sent again after the pipeline changed, the same push may start runs.
const CLAIM = {
  name: 'kiln-webhook-claim-deliveries-v2',
  text: `
    WITH checked AS MATERIALIZED (
      SELECT i.*, (i.routing_version IS NULL
                   OR i.routing_version = (SELECT version FROM webhook_routing_version WHERE id = 1)) AS fresh
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[],
                    $7::"DeliveryStatus"[], $8::text[], $9::uuid[], $10::text[], $11::bigint[])
             WITH ORDINALITY AS i(id, provider, delivery_id, event, project_id, pipeline_id, status,
                                  reason, run_id, body_sha256, routing_version, n)
    ), bodies AS (
      INSERT INTO webhook_body_claims AS b (provider, project_id, body_sha256, delivery_id)
      SELECT provider, project_id, body_sha256, delivery_id FROM checked
       WHERE fresh AND project_id IS NOT NULL AND status = 'accepted' ORDER BY n
      ON CONFLICT (provider, project_id, body_sha256) DO UPDATE
         SET delivery_id = EXCLUDED.delivery_id, claimed_at = now()
       WHERE b.delivery_id = EXCLUDED.delivery_id OR b.claimed_at < now() - interval '24 hours'
      RETURNING b.provider, b.delivery_id
    ), inserted AS (
      INSERT INTO webhook_deliveries AS w
             (id, provider, delivery_id, event, project_id, pipeline_id, status, reason, run_id, body_sha256)
      SELECT c.id, c.provider, c.delivery_id, c.event, c.project_id, c.pipeline_id, c.status, c.reason,
             c.run_id, c.body_sha256
        FROM checked c LEFT JOIN bodies b ON b.provider = c.provider AND b.delivery_id = c.delivery_id
       WHERE c.fresh AND (c.project_id IS NULL OR c.status <> 'accepted' OR b.delivery_id IS NOT NULL)
       ORDER BY c.n
      ON CONFLICT (provider, delivery_id) DO NOTHING
      RETURNING ${columns('w')}, false AS replayed
    ), same_id AS (
      SELECT c.n, ${columns('d')}, true AS replayed
        FROM checked c JOIN webhook_deliveries d ON d.provider = c.provider AND d.delivery_id = c.delivery_id
    ), same_body AS (
      SELECT c.n, ${columns('d')}, true AS replayed
        FROM checked c
        JOIN webhook_body_claims b
          ON b.provider = c.provider AND b.project_id = c.project_id AND b.body_sha256 = c.body_sha256
        JOIN webhook_deliveries d ON d.provider = b.provider AND d.delivery_id = b.delivery_id
    ), found AS (
      SELECT c.n, ins.* FROM checked c JOIN inserted ins ON ins.id = c.id
      UNION ALL
      SELECT * FROM same_id s WHERE NOT EXISTS (SELECT 1 FROM checked c JOIN inserted ins ON ins.id = c.id WHERE c.n = s.n)
      UNION ALL
      SELECT * FROM same_body s
       WHERE NOT EXISTS (SELECT 1 FROM checked c JOIN inserted ins ON ins.id = c.id WHERE c.n = s.n)
         AND NOT EXISTS (SELECT 1 FROM same_id i WHERE i.n = s.n)
    )
    SELECT c.n, c.fresh, f.id, f.provider, f."deliveryId", f.event, f."projectId", f."pipelineId", f.status,
           f.reason, f."runId", f."bodySha256", f."receivedAt", f.replayed
      FROM checked c LEFT JOIN found f ON f.n = c.n`,
};

// After a concurrent claim committed: the delivery with this id, else the one that claimed the body.
const BY_KEY = {
  name: 'kiln-webhook-delivery-by-key-v2',
  text: `SELECT ${columns('d')} FROM webhook_deliveries d WHERE d.provider = $1 AND d.delivery_id = $2
         UNION ALL
         SELECT ${columns('d')} FROM webhook_body_claims b
           JOIN webhook_deliveries d ON d.provider = b.provider AND d.delivery_id = b.delivery_id
          WHERE b.provider = $1 AND b.project_id = $3 AND b.body_sha256 = $4
          LIMIT 1`,
};

/**
 * The `webhook_deliveries` table as the arbiter of "first delivery wins": its unique
 * `(provider, delivery_id)` key decides between replicas and across restarts, never memory.
 * Claims are written by hand through pg (Prisma's per-call compilation and mapping were most of
 * the receiver's CPU per delivery) and grouped: a claim goes at once when fewer than
 * MAX_IN_FLIGHT statements are running, else with the others that arrive before one ends.
 */
@Injectable()
export class DeliveryLedgerService {
  private queue: PendingClaim[] = [];
  private inFlight = 0;

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores the delivery unless its id was seen before. With a routing version, only while the
   * routing is still at that version: undefined means nothing was claimed and the delivery must
   * be planned again from fresh routing. Without one the claim always ends in this delivery or
   * the first with its id.
   */
  claim(entry: NewDelivery, routingVersion: string | null): Promise<ClaimedDelivery | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: randomUUID(), entry, routingVersion, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      this.write(batch)
        .catch((error: unknown) => batch.forEach((claim) => claim.reject(error)))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  /**
   * Up to MAX_BATCH claims, one per delivery key and one per body (a second claim of either waits
   * for the next batch: one statement cannot claim a body twice).
   */
  private takeBatch(): PendingClaim[] {
    const keys = new Set<string>();
    const batch: PendingClaim[] = [];
    const rest: PendingClaim[] = [];
    for (const claim of this.queue) {
      const { provider, deliveryId, projectId, bodySha256 } = claim.entry;
      const key = `${provider}\0${deliveryId}`;
      const body = `${provider}\0${projectId}\0${bodySha256}`;
      if (batch.length < MAX_BATCH && !keys.has(key) && !keys.has(body)) {
        keys.add(key);
        keys.add(body);
        batch.push(claim);
      } else {
        rest.push(claim);
      }
    }
    this.queue = rest;
    return batch.sort((a, b) =>
      a.entry.provider === b.entry.provider
        ? compare(a.entry.deliveryId, b.entry.deliveryId)
        : compare(a.entry.provider, b.entry.provider),
    );
  }

  private async write(batch: PendingClaim[]): Promise<void> {
    const column = <T>(pick: (claim: PendingClaim) => T) => batch.map(pick);
    const { rows } = await this.prisma.pool.query<ClaimRow>({
      ...CLAIM,
      values: [
        column((c) => c.id),
        column((c) => c.entry.provider),
        column((c) => c.entry.deliveryId),
        column((c) => c.entry.event),
        column((c) => c.entry.projectId),
        column((c) => c.entry.pipelineId),
        column((c) => c.entry.status),
        column((c) => c.entry.reason),
        column((c) => c.entry.runId),
        column((c) => c.entry.bodySha256),
        column((c) => c.routingVersion),
      ],
    });
    const byPosition = new Map(rows.map((row) => [Number(row.n), row]));
    await Promise.all(
      batch.map(async (claim, i) => {
        try {
          claim.resolve(await this.outcome(claim, byPosition.get(i + 1)));
        } catch (error) {
          claim.reject(error);
        }
      }),
    );
  }

  private async outcome(
    claim: PendingClaim,
    row: ClaimRow | undefined,
  ): Promise<ClaimedDelivery | undefined> {
    if (!row?.fresh) return undefined;
    const { n: _position, fresh: _fresh, replayed, ...delivery } = row;
    if (delivery.id !== null) return { delivery, replayed };
    // ON CONFLICT waited for the concurrent insert to commit, so a new snapshot sees its row.
    const { rows } = await this.prisma.pool.query<WebhookDelivery>({
      ...BY_KEY,
      values: [claim.entry.provider, claim.entry.deliveryId, claim.entry.projectId, claim.entry.bodySha256],
    });
    if (!rows[0])
      throw new Error(
        `delivery ${claim.entry.provider}/${claim.entry.deliveryId} was neither stored nor found`,
      );
    return { delivery: rows[0], replayed: true };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
