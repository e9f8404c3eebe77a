import { findCycle } from './dag-cycles';
import { DagError, DagNode, dependantsOf, FinishedStatus, indexByName } from './dag-node';
import { MinHeap } from './min-heap';

/**
 * Steps in an order where every step comes after all of its dependencies. Among steps that are
 * ready at the same time, the one defined first comes first, so the order is stable.
 * Throws DagError on an unknown dependency or a cycle (a validated definition has neither).
 */
export function topologicalOrder<T extends DagNode>(steps: readonly T[]): T[] {
  const index = indexByName(steps);
  const waitingOn = steps.map((step) => new Set(step.dependsOn).size);
  const dependants = dependantsOf(steps, index);
  const ready = new MinHeap();
  waitingOn.forEach((count, i) => count === 0 && ready.push(i));
  const order: T[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(steps[i]);
    for (const dependant of dependants[i]) if (--waitingOn[dependant] === 0) ready.push(dependant);
  }
  if (order.length < steps.length) {
    const cycle = findCycle(steps) ?? [];
    throw new DagError(`dependency cycle: ${cycle.join(' -> ')}`, cycle);
  }
  return order;
}

/**
 * Steps that may start now: not finished, and every dependency succeeded. Steps in `inFlight`
 * (queued or running) are left out too. A step behind a failed, skipped or cancelled
 * dependency never becomes ready; `stepsSkippedBy` says which those are.
 */
export function readySteps<T extends DagNode>(
  steps: readonly T[],
  finished: ReadonlyMap<string, FinishedStatus>,
  inFlight: Iterable<string> = [],
): T[] {
  const busy = new Set(inFlight);
  return steps.filter(
    (step) =>
      !finished.has(step.name) &&
      !busy.has(step.name) &&
      step.dependsOn.every((dependency) => finished.get(dependency) === 'succeeded'),
  );
}

/** Names of every step that depends, directly or through others, on `failedStepName`, in definition order. */
export function stepsSkippedBy(steps: readonly DagNode[], failedStepName: string): string[] {
  const index = indexByName(steps, false);
  const start = index.get(failedStepName);
  if (start === undefined) return [];
  const dependants = dependantsOf(steps, index, false);
  const seen = new Set<number>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const next of dependants[queue.pop() as number]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  seen.delete(start);
  return [...seen].sort((a, b) => a - b).map((i) => steps[i].name);
}
