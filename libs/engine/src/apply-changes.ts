import { Changes } from './engine-state';
import { RunStatus, StepStatus } from './statuses';

/**
 * The rows as they are once `changes` are written (each guard checked as the database would): what
 * the writer dispatches from, and what tests fold events over. Rows may carry more fields than the
 * engine's; those stay as they are.
 */
export function applyChanges<R extends { status: RunStatus }, S extends { id: string; status: StepStatus; attempt: number }>(
  run: R,
  steps: S[],
  changes: Changes,
): { run: R; steps: S[] } {
  const byId = new Map(changes.steps.map((c) => [c.id, c]));
  return {
    run: changes.run && changes.run.from.status === run.status ? { ...run, ...changes.run.set } : run,
    steps: steps.map((s) => {
      const change = byId.get(s.id);
      return change && change.from.status === s.status && change.from.attempt === s.attempt ? { ...s, ...change.set } : s;
    }),
  };
}
