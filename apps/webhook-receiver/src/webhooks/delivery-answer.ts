import { WebhookDelivery } from '@kiln/db';
import { PlannedRun, SkippedPipeline } from '../triggers/run-planner.service';

/** The 202 body of every delivery that was read and authenticated (snake_case on the wire). */
export interface DeliveryAnswer {
  status: 'accepted' | 'ignored';
  reason: string;
  /** Kiln's delivery record (`runs.delivery_id`); null when nothing was stored. */
  delivery_id: string | null;
  /** The first run requested; null when none was. */
  run_id: string | null;
  /** True when an earlier delivery with the same id was answered already; this answer is its. */
  replayed: boolean;
  runs: { pipeline_id: string; run_id: string; reason: string }[];
  skipped: { pipeline_id: string; reason: string }[];
}

/** An answer for a delivery that is not stored (no project, a ping, an event that runs nothing). */
export function unstoredAnswer(reason: string): DeliveryAnswer {
  return {
    status: 'ignored',
    reason,
    delivery_id: null,
    run_id: null,
    replayed: false,
    runs: [],
    skipped: [],
  };
}

export function storedAnswer(
  delivery: WebhookDelivery,
  replayed: boolean,
  runs: PlannedRun[],
  skipped: SkippedPipeline[],
): DeliveryAnswer {
  return {
    status: delivery.status,
    reason: delivery.reason,
    delivery_id: delivery.id,
    run_id: delivery.runId,
    replayed,
    runs: runs.map((r) => ({ pipeline_id: r.pipeline.id, run_id: r.runId, reason: r.reason })),
    skipped: skipped.map((s) => ({ pipeline_id: s.pipeline.id, reason: s.reason })),
  };
}
