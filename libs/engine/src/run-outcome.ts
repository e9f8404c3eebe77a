import { ACTIVE_STEP_STATUSES, StepStatus, TerminalRunStatus, UNFINISHED_STEP_STATUSES } from './statuses';

type WithStatus = { status: StepStatus };

/** Every step is done for its attempt: the run can end. */
export function allStepsFinished(steps: WithStatus[]): boolean {
  return steps.every((s) => !(UNFINISHED_STEP_STATUSES as readonly StepStatus[]).includes(s.status));
}

/** Nothing runs or is about to: only approvals (and what depends on them) hold the run. */
export function waitingOnly(steps: WithStatus[]): boolean {
  const active = ACTIVE_STEP_STATUSES as readonly StepStatus[];
  return steps.some((s) => s.status === 'waiting') && !steps.some((s) => active.includes(s.status));
}

/** A finished run is failed if any step failed, cancelled if any was cancelled, else succeeded. */
export function runOutcome(steps: WithStatus[]): TerminalRunStatus {
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  if (steps.some((s) => s.status === 'cancelled')) return 'cancelled';
  return 'succeeded';
}
