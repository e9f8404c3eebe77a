import { RunStatus, StepStatus } from '@kiln/db';

export const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set<RunStatus>(['succeeded', 'failed', 'cancelled']);
export const TERMINAL_STEP: ReadonlySet<StepStatus> = new Set<StepStatus>(['succeeded', 'failed', 'cancelled', 'skipped']);
export const ACTIVE_STEP: StepStatus[] = ['queued', 'running'];
export const UNFINISHED_STEP: StepStatus[] = ['pending', 'queued', 'running', 'waiting'];

/** Nothing runs or is about to: only approvals (and what depends on them) hold the run. */
export function waitingOnly(steps: { status: StepStatus }[]): boolean {
  return steps.some((s) => s.status === 'waiting') && !steps.some((s) => ACTIVE_STEP.includes(s.status));
}

/** A finished run is failed if any step failed, cancelled if any was cancelled, else succeeded. */
export function runOutcome(steps: { status: StepStatus }[]): 'succeeded' | 'failed' | 'cancelled' {
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  if (steps.some((s) => s.status === 'cancelled')) return 'cancelled';
  return 'succeeded';
}
