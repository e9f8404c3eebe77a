import { RunJson, StepJson } from '@kiln/testing';

/** The step of that name in a run as the API shows it. */
export function stepOf(run: RunJson, name: string): StepJson {
  const found = run.steps.find((s) => s.name === name);
  if (!found) throw new Error(`run ${run.id} has no step ${name}: ${JSON.stringify(run.steps)}`);
  return found;
}

/** Milliseconds of an ISO timestamp from the API (which must be set). */
export function ms(iso: string | null): number {
  if (iso === null) throw new Error('timestamp not set');
  return new Date(iso).getTime();
}
