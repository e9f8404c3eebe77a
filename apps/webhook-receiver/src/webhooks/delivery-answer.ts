import { WebhookDelivery } from '@kiln/db';
import { PlannedRun, SkippedPipeline } from '../triggers/run-planner.service';

/** The 202 body of every delivery that was read and authenticated (snake_case on the wire). */
export interface DeliveryAnswer {
  status: 'accepted' | 'ignored';
  reason: string;
  /** The provider's id of the delivery (`X-GitHub-Delivery`, GitLab's `Idempotency-Key`), the body's sha256 when none was sent; null when nothing was stored. */
  delivery_id: string | null;
  /** Kiln's record of the delivery (`runs.delivery_id`); null when nothing was stored. */
  delivery_record_id: string | null;
  /** The first run named in `runs`; null when none is. */
  run_id: string | null;
  /** True when an earlier delivery with the same id was answered already; this answer is its. */
  replayed: boolean;
  /** Runs that will exist: their pipelines' filters were applied before this answer. */
  runs: { pipeline_id: string; run_id: string; reason: string }[];
  /**
   * Pipelines whose definition (and so whose `on:` filters) is read from the repository at the
   * commit: the scheduler decides after this answer whether they run, so no run id is named.
   */
  pending_filter: { pipeline_id: string; reason: string }[];
  skipped: { pipeline_id: string; reason: string }[];
}

/** An answer for a delivery that is not stored (no project, a ping, an event that runs nothing). */
export function unstoredAnswer(reason: string): DeliveryAnswer {
  return {
    status: 'ignored',
    reason,
    delivery_id: null,
    delivery_record_id: null,
    run_id: null,
    replayed: false,
    runs: [],
    pending_filter: [],
    skipped: [],
  };
}

export function storedAnswer(
  delivery: WebhookDelivery,
  replayed: boolean,
  runs: PlannedRun[],
  skipped: SkippedPipeline[],
): DeliveryAnswer {
  const known = runs.filter((r) => !r.applyTriggerFilters);
  return {
    status: delivery.status,
    reason: delivery.reason,
    delivery_id: delivery.deliveryId,
    delivery_record_id: delivery.id,
    run_id: known[0]?.runId ?? null,
    replayed,
    runs: known.map((r) => ({ pipeline_id: r.pipeline.id, run_id: r.runId, reason: r.reason })),
    pending_filter: runs
      .filter((r) => r.applyTriggerFilters)
      .map((r) => ({ pipeline_id: r.pipeline.id, reason: r.reason })),
    skipped: skipped.map((s) => ({ pipeline_id: s.pipeline.id, reason: s.reason })),
  };
}
