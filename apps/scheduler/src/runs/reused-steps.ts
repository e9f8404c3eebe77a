import { RunRequestedEvent } from '@kiln/contracts';
import { DagNode, stepsSkippedBy } from '@kiln/definition';

/**
 * The names of the retried run's succeeded steps that a retry keeps instead of running again:
 * none for a plain retry, all of them with `failedOnly`, and for the rerun of one step all but
 * that step and every step depending on it (directly or through others).
 */
export function reusedStepNames(
  request: Pick<RunRequestedEvent, 'failedOnly' | 'rerunStep'>,
  steps: readonly DagNode[],
  succeeded: ReadonlySet<string>,
): Set<string> {
  if (request.rerunStep) {
    const again = new Set([request.rerunStep, ...stepsSkippedBy(steps, request.rerunStep)]);
    return new Set([...succeeded].filter((name) => !again.has(name)));
  }
  return request.failedOnly ? new Set(succeeded) : new Set();
}
