import { RunContext, StepCondition, stepConditionSkip } from '@kiln/definition';
import { StepStatus, UNFINISHED_STEP_STATUSES } from './statuses';

export interface PlannedStep {
  id: string;
  name: string;
  status: StepStatus;
  dependsOn: string[];
  attempt: number;
  /** From the run's definition snapshot. */
  approval?: boolean;
  retry?: number;
  when?: StepCondition;
}

export interface PlanOptions {
  failFast: boolean;
  run: RunContext;
}

export interface StepPlan {
  queue: string[];
  /** Approval steps whose dependencies are done: they now wait for a person. */
  wait: string[];
  /** Failed steps with attempts left: queued again as their next attempt. */
  retry: string[];
  skip: { id: string; reason: string }[];
  cancel: { id: string; reason: string }[];
}

const UNFINISHED: readonly StepStatus[] = UNFINISHED_STEP_STATUSES;
const BLOCKING: StepStatus[] = ['failed', 'skipped', 'cancelled'];

/**
 * What to do next with a run's steps. A failed step with attempts left is retried. With
 * fail_fast, the first failure cancels everything unfinished but the failure handlers. A pending
 * step whose `when` branch/tag/event does not hold is skipped; otherwise, by `when.status`:
 * `success` (default) runs once every dependency succeeded and is skipped behind a failed,
 * skipped or cancelled one (transitively); `failure` waits for every step before it (its
 * dependencies, transitively) and runs if one of them failed, else is skipped; `always` runs
 * once every step before it is done. A step
 * that runs is queued, or waits for a person if it is an approval.
 */
export function planSteps(steps: PlannedStep[], options: PlanOptions): StepPlan {
  const plan: StepPlan = { queue: [], wait: [], retry: [], skip: [], cancel: [] };
  const status = new Map(steps.map((s) => [s.name, s.status]));
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const s of steps) {
    if (s.status === 'failed' && !s.approval && s.attempt <= (s.retry ?? 0)) {
      plan.retry.push(s.id);
      status.set(s.name, 'queued');
    }
  }
  const failed = steps.find((s) => status.get(s.name) === 'failed');
  if (options.failFast && failed) {
    for (const s of steps) {
      // Failure handlers are never cancelled: not before they start, nor once queued or running
      // (the run moves on again on every event, and must not cancel the handler it queued).
      if (!UNFINISHED.includes(status.get(s.name) as StepStatus) || runsOnFailure(s)) continue;
      plan.cancel.push({ id: s.id, reason: `cancelled: fail_fast after step "${failed.name}" failed` });
      status.set(s.name, 'cancelled');
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of steps) {
      if (status.get(s.name) !== 'pending') continue;
      const decision = decide(s, status, options.run, byName);
      if (!decision) continue;
      changed = true;
      if ('skip' in decision) {
        status.set(s.name, 'skipped');
        plan.skip.push({ id: s.id, reason: `skipped: ${decision.skip}` });
      } else if (s.approval) {
        status.set(s.name, 'waiting');
        plan.wait.push(s.id);
      } else {
        status.set(s.name, 'queued');
        plan.queue.push(s.id);
      }
    }
  }
  return plan;
}

const runsOnFailure = (s: PlannedStep) => (s.when?.status ?? ['success']).some((w) => w !== 'success');

/** Undefined while the step must wait for its dependencies (a failure handler: for every step before it). */
function decide(
  s: PlannedStep,
  status: Map<string, StepStatus>,
  run: RunContext,
  byName: Map<string, PlannedStep>,
): { run: true } | { skip: string } | undefined {
  const unmet = stepConditionSkip(s.when, run);
  if (unmet) return { skip: unmet };
  const wanted = s.when?.status ?? ['success'];
  const blocker = s.dependsOn.find((d) => BLOCKING.includes(status.get(d) as StepStatus));
  if (!runsOnFailure(s)) {
    if (blocker) return { skip: `dependency "${blocker}" ${status.get(blocker)}` };
    return s.dependsOn.every((d) => status.get(d) === 'succeeded') ? { run: true } : undefined;
  }
  const before = ancestors(s, byName).map((name) => status.get(name) as StepStatus);
  if (before.some((b) => UNFINISHED.includes(b))) return undefined;
  if (wanted.includes('always')) return { run: true };
  if (wanted.includes('failure') && before.includes('failed')) return { run: true };
  if (wanted.includes('success') && !blocker) return { run: true };
  return { skip: blocker ? `dependency "${blocker}" ${status.get(blocker)}, and no step before it failed` : 'when.status is failure, and no step before it failed' };
}

function ancestors(s: PlannedStep, byName: Map<string, PlannedStep>): string[] {
  const seen = new Set<string>();
  const stack = [...s.dependsOn];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(byName.get(name)?.dependsOn ?? []));
  }
  return [...seen];
}
