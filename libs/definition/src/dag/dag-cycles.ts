import { DagNode, indexByName, unique } from './dag-node';

/**
 * One cycle as step names, first name repeated at the end (`a -> b -> a` reads "a depends on b,
 * b depends on a"), or undefined when the graph is acyclic. Unknown dependencies are ignored.
 */
export function findCycle(steps: readonly DagNode[]): string[] | undefined {
  const cycles = findCycles(steps);
  return cycles.length > 0 ? cycles[0] : undefined;
}

/**
 * One cycle per strongly connected component that has one, each starting at its earliest-defined
 * step and following the shortest way back to it. Iterative, so deep graphs cannot overflow the stack.
 */
export function findCycles(steps: readonly DagNode[]): string[][] {
  const index = indexByName(steps, false);
  const edges = steps.map((step) =>
    unique(step.dependsOn.map((d) => index.get(d)).filter((i) => i !== undefined)),
  );
  return stronglyConnected(edges)
    .filter((component) => component.length > 1 || edges[component[0]].includes(component[0]))
    .map((component) => ({ start: Math.min(...component), members: new Set(component) }))
    .sort((a, b) => a.start - b.start)
    .map(({ start, members }) => shortestCycle(start, members, edges).map((i) => steps[i].name));
}

function shortestCycle(start: number, members: Set<number>, edges: number[][]): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const next of edges[node]) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at) as number) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's algorithm with an explicit stack. */
function stronglyConnected(edges: number[][]): number[][] {
  const order = new Array<number>(edges.length).fill(-1);
  const low = new Array<number>(edges.length).fill(0);
  const onStack = new Array<boolean>(edges.length).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < edges.length; root++) {
    if (order[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, edge] = frame;
      if (edge === 0) {
        order[node] = low[node] = counter++;
        stack.push(node);
        onStack[node] = true;
      }
      if (edge < edges[node].length) {
        frame[1]++;
        const next = edges[node][edge];
        if (order[next] === -1) work.push([next, 0]);
        else if (onStack[next]) low[node] = Math.min(low[node], order[next]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[node]);
      }
      if (low[node] === order[node]) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop() as number;
          onStack[member] = false;
          component.push(member);
        } while (member !== node);
        components.push(component);
      }
    }
  }
  return components;
}
