import fc from 'fast-check';
import { DagNode, FinishedStatus, findCycle, readySteps, stepsSkippedBy, topologicalOrder } from '../index';

/** A random DAG: edges only point to lower indices, then the list is shuffled so order carries no hint. */
const dagArbitrary = fc
  .integer({ min: 1, max: 40 })
  .chain((size) =>
    fc.tuple(
      fc.array(fc.array(fc.nat({ max: size - 1 }), { maxLength: 5 }), { minLength: size, maxLength: size }),
      fc.array(fc.nat(), { minLength: size, maxLength: size }),
    ),
  )
  .map(([deps, shuffleKeys]) => {
    const steps: DagNode[] = deps.map((targets, i) => ({
      name: `s${i}`,
      dependsOn: [...new Set(targets.filter((t) => t < i).map((t) => `s${t}`))],
    }));
    return steps
      .map((step, i) => ({ step, key: shuffleKeys[i] }))
      .sort((a, b) => a.key - b.key)
      .map(({ step }) => step);
  });

function dependantsClosure(steps: DagNode[], name: string): Set<string> {
  const result = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (!result.has(step.name) && step.dependsOn.some((d) => d === name || result.has(d))) {
        result.add(step.name);
        grew = true;
      }
    }
  }
  return result;
}

describe('DAG properties', () => {
  it('topologicalOrder contains every step once and respects every edge', () => {
    fc.assert(
      fc.property(dagArbitrary, (steps) => {
        const order = topologicalOrder(steps).map((s) => s.name);
        expect([...order].sort()).toEqual(steps.map((s) => s.name).sort());
        const position = new Map(order.map((name, i) => [name, i]));
        for (const step of steps) {
          for (const dependency of step.dependsOn)
            expect(position.get(dependency)).toBeLessThan(position.get(step.name) as number);
        }
      }),
    );
  });

  it('stepsSkippedBy is exactly the transitive dependants', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), (steps, pick) => {
        const failed = steps[pick % steps.length].name;
        expect(new Set(stepsSkippedBy(steps, failed))).toEqual(dependantsClosure(steps, failed));
      }),
    );
  });

  it('running ready steps to completion finishes every step, and a failure skips exactly its dependants', () => {
    fc.assert(
      fc.property(
        dagArbitrary,
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (steps, outcomes) => {
          const finished = new Map<string, FinishedStatus>();
          let round = 0;
          for (
            let ready = readySteps(steps, finished);
            ready.length > 0;
            ready = readySteps(steps, finished)
          ) {
            for (const step of ready) {
              expect(step.dependsOn.every((d) => finished.get(d) === 'succeeded')).toBe(true);
              const fails = !outcomes[Number(step.name.slice(1))];
              finished.set(step.name, fails ? 'failed' : 'succeeded');
              if (fails)
                for (const skipped of stepsSkippedBy(steps, step.name)) finished.set(skipped, 'skipped');
            }
            expect(++round).toBeLessThanOrEqual(steps.length);
          }
          expect(finished.size).toBe(steps.length);
          const failedSteps = [...finished].filter(([, status]) => status === 'failed').map(([name]) => name);
          const expectedSkipped = new Set(failedSteps.flatMap((name) => [...dependantsClosure(steps, name)]));
          const skipped = new Set(
            [...finished].filter(([, status]) => status === 'skipped').map(([name]) => name),
          );
          expect(skipped).toEqual(expectedSkipped);
        },
      ),
    );
  });

  it('adding a back edge creates a cycle that findCycle reports and topologicalOrder refuses', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), (steps, pick) => {
        const from = steps.find((s) => s.dependsOn.length > 0);
        fc.pre(from !== undefined);
        const target = (from as DagNode).dependsOn[pick % (from as DagNode).dependsOn.length];
        const cyclic = steps.map((s) =>
          s.name === target ? { ...s, dependsOn: [...s.dependsOn, (from as DagNode).name] } : s,
        );
        const cycle = findCycle(cyclic) as string[];
        expect(cycle[0]).toBe(cycle[cycle.length - 1]);
        for (let i = 0; i + 1 < cycle.length; i++) {
          expect(cyclic.find((s) => s.name === cycle[i])?.dependsOn).toContain(cycle[i + 1]);
        }
        expect(() => topologicalOrder(cyclic)).toThrow(/dependency cycle/);
      }),
    );
  });
});
