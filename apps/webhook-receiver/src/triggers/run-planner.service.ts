import { describeRef, ForgeEvent } from '@kiln/forge';
import { Injectable } from '@nestjs/common';
import { webhookRunId } from '../deliveries/run-ids';
import { TargetPipeline } from '../projects/webhook-target';
import { TriggerFilterService } from './trigger-filter.service';

export interface PlannedRun {
  pipeline: TargetPipeline;
  runId: string;
  /** The scheduler must check the filters once it has read the definition from the commit. */
  applyTriggerFilters: boolean;
  reason: string;
}

export interface SkippedPipeline {
  pipeline: TargetPipeline;
  reason: string;
}

/** What a delivery does: the runs it requests and the pipelines its filters turned away, with reasons. */
export interface RunPlan {
  status: 'accepted' | 'ignored';
  reason: string;
  runs: PlannedRun[];
  skipped: SkippedPipeline[];
}

const REASON_MAX = 2000;

@Injectable()
export class RunPlannerService {
  constructor(private readonly filters: TriggerFilterService) {}

  plan(event: ForgeEvent, pipelines: TargetPipeline[]): RunPlan {
    const what = describeEvent(event);
    if (pipelines.length === 0) return { status: 'ignored', reason: `${what}: the project has no pipelines`, runs: [], skipped: [] };
    const runs: PlannedRun[] = [];
    const skipped: SkippedPipeline[] = [];
    for (const pipeline of pipelines) {
      const decision = this.filters.decide(pipeline, event);
      if (decision.run) {
        const runId = webhookRunId(event.provider, event.deliveryId, pipeline.id);
        runs.push({ pipeline, runId, applyTriggerFilters: decision.applyTriggerFilters, reason: decision.reason });
      } else {
        skipped.push({ pipeline, reason: decision.reason });
      }
    }
    const clauses = [
      ...runs.map((r) => `pipeline "${r.pipeline.name}" runs (${r.reason})`),
      ...skipped.map((s) => `pipeline "${s.pipeline.name}" skipped (${s.reason})`),
    ];
    return {
      status: runs.length > 0 ? 'accepted' : 'ignored',
      reason: truncate(`${what}: ${clauses.join('; ')}`),
      runs,
      skipped,
    };
  }
}

export function describeEvent(event: ForgeEvent): string {
  if (event.kind === 'merge_request') return `merge request ${event.action} (branch "${event.branch}")`;
  return `push to ${describeRef(event.ref)}`;
}

function truncate(text: string): string {
  return text.length <= REASON_MAX ? text : `${text.slice(0, REASON_MAX - 1)}…`;
}
