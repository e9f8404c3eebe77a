import { StepStatus } from '@kiln/db';

export interface PlannedStep {
  id: string;
  name: string;
  status: StepStatus;
  dependsOn: string[];
}

export interface StepPlan {
  queue: string[];
  skip: { id: string; reason: string }[];
  cancel: { id: string; reason: string }[];
}

/**
 * What to do next with a run's pending steps: queue those whose dependencies all
 * succeeded, skip those behind a failed, skipped or cancelled one (transitively), and with
 * fail_fast cancel everything unfinished once a step failed.
 */
export function planSteps(steps: PlannedStep[], failFast: boolean): StepPlan {
  const plan: StepPlan = { queue: [], skip: [], cancel: [] };
  const failed = steps.find((s) => s.status === 'failed');
  if (failFast && failed) {
    for (const s of steps) {
      if (s.status === 'pending' || s.status === 'queued' || s.status === 'running') {
        plan.cancel.push({ id: s.id, reason: `cancelled: fail_fast after step "${failed.name}" failed` });
      }
    }
    return plan;
  }
  const status = new Map(steps.map((s) => [s.name, s.status]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of steps) {
      if (status.get(s.name) !== 'pending') continue;
      const blocker = s.dependsOn.find((d) => ['failed', 'skipped', 'cancelled'].includes(status.get(d) ?? ''));
      if (blocker) {
        status.set(s.name, 'skipped');
        plan.skip.push({ id: s.id, reason: `skipped: dependency "${blocker}" ${status.get(blocker)}` });
        changed = true;
      } else if (s.dependsOn.every((d) => status.get(d) === 'succeeded')) {
        status.set(s.name, 'queued');
        plan.queue.push(s.id);
      }
    }
  }
  return plan;
}
