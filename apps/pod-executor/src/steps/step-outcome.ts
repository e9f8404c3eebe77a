import { StepOutcome } from '@kiln/contracts';
import { formatDuration } from '@kiln/definition';
import { StepExit } from '../backend/backend';
import { RunningStep } from './running-steps';

export interface Outcome {
  status: StepOutcome;
  error?: string;
}

/** 128 + SIGKILL: how a sandbox reports a step whose processes were killed before it was. */
const KILLED_EXIT_CODE = 137;

/**
 * What a step's end means. A kill decided by the executor explains the end only if it took effect
 * (the step was ended by a signal, or never started); a step that exited on its own just before
 * its timeout keeps its own result. A kill ends the sandbox's init first, so the sandbox may exit
 * with 137 before its own SIGKILL lands: that is the kill taking effect too.
 */
export function stepOutcome(step: RunningStep, exit: StepExit, timeoutMs: number): Outcome {
  const killed = !!step.killReason && (!!exit.signal || !step.handle || exit.exitCode === KILLED_EXIT_CODE);
  if (killed && step.killReason === 'cancel') return { status: 'cancelled', error: step.killDetail };
  if (killed && step.killReason === 'timeout')
    return { status: 'failed', error: `timed out after ${formatDuration(timeoutMs)}` };
  if (killed && step.killReason === 'no-output') return { status: 'failed', error: step.killDetail };
  if (killed && step.killReason === 'shutdown') return { status: 'failed', error: 'executor shutting down' };
  if (exit.error) return { status: 'failed', error: exit.error };
  if (exit.signal) return { status: 'failed', error: `killed by ${exit.signal}` };
  return exit.exitCode === 0 ? { status: 'succeeded' } : { status: 'failed' };
}

/** The closing system line of a step's log, or undefined for a success. */
export function outcomeLine(outcome: Outcome, exit: StepExit): string | undefined {
  if (outcome.status === 'succeeded') return undefined;
  if (outcome.error) return `step ${outcome.status}: ${outcome.error}`;
  return `step failed: exit code ${exit.exitCode}`;
}
