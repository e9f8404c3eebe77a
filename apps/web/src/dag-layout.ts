export interface GraphStep {
  name: string;
  depends_on: string[];
}

export interface PlacedNode<T> {
  step: T;
  /** Column: the longest chain of dependencies before the step. */
  layer: number;
  /** Row within the column. */
  row: number;
}

export interface Edge {
  from: string;
  to: string;
}

export interface Layout<T> {
  nodes: PlacedNode<T>[];
  edges: Edge[];
  layers: number;
  rows: number;
}

/**
 * Places a run's steps left to right: each step one column after its latest dependency, rows in
 * run order within a column, ordered by their dependencies' rows so edges cross less. Unknown
 * dependency names are ignored and cycles (which validation forbids) cannot loop forever.
 */
export function layoutDag<T extends GraphStep>(steps: T[]): Layout<T> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const layerOf = new Map<string, number>();
  const visiting = new Set<string>();
  const layer = (step: T): number => {
    const known = layerOf.get(step.name);
    if (known !== undefined) return known;
    if (visiting.has(step.name)) return 0;
    visiting.add(step.name);
    const parents = step.depends_on.map((d) => byName.get(d)).filter((p): p is T => p !== undefined);
    const value = parents.length ? Math.max(...parents.map(layer)) + 1 : 0;
    visiting.delete(step.name);
    layerOf.set(step.name, value);
    return value;
  };
  steps.forEach(layer);

  const rowOf = new Map<string, number>();
  const columns: T[][] = [];
  for (const step of steps) (columns[layerOf.get(step.name) ?? 0] ??= []).push(step);
  const nodes: PlacedNode<T>[] = [];
  columns.forEach((column, index) => {
    const parentRow = (s: T) => {
      const rows = s.depends_on.map((d) => rowOf.get(d)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    const ordered = index === 0 ? column : [...column].sort((a, b) => parentRow(a) - parentRow(b));
    ordered.forEach((step, row) => {
      rowOf.set(step.name, row);
      nodes.push({ step, layer: index, row });
    });
  });
  const edges = steps.flatMap((s) =>
    s.depends_on.filter((d) => byName.has(d)).map((d) => ({ from: d, to: s.name })),
  );
  return {
    nodes,
    edges,
    layers: columns.length,
    rows: Math.max(0, ...columns.map((c) => c?.length ?? 0)),
  };
}
