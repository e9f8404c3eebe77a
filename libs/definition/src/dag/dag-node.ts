/** The part of a step the graph helpers need, so callers can pass database rows as well as definitions. */
export interface DagNode {
  name: string;
  dependsOn: readonly string[];
}

export type FinishedStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export class DagError extends Error {
  constructor(
    message: string,
    readonly cycle?: string[],
  ) {
    super(message);
    this.name = 'DagError';
  }
}

export function indexByName(steps: readonly DagNode[], strict = true): Map<string, number> {
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (strict && index.has(step.name)) throw new DagError(`duplicate step name "${step.name}"`);
    if (!index.has(step.name)) index.set(step.name, i);
  });
  return index;
}

export function dependantsOf(
  steps: readonly DagNode[],
  index: Map<string, number>,
  strict = true,
): number[][] {
  const dependants: number[][] = steps.map(() => []);
  steps.forEach((step, i) => {
    for (const dependency of new Set(step.dependsOn)) {
      const from = index.get(dependency);
      if (from === undefined) {
        if (strict) throw new DagError(`step "${step.name}" depends on unknown step "${dependency}"`);
        continue;
      }
      dependants[from].push(i);
    }
  });
  return dependants;
}

export function unique(values: number[]): number[] {
  return [...new Set(values)];
}
