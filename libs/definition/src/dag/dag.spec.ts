import { DagError, findCycle, readySteps, stepsSkippedBy, topologicalOrder } from '../index';

const steps = [
  { name: 'deploy', dependsOn: ['build', 'test'] },
  { name: 'lint', dependsOn: [] },
  { name: 'build', dependsOn: [] },
  { name: 'test', dependsOn: ['build'] },
  { name: 'docs', dependsOn: ['lint'] },
];

describe('DAG helpers', () => {
  it('orders steps after their dependencies, earliest-defined first among equals', () => {
    expect(topologicalOrder(steps).map((s) => s.name)).toEqual(['lint', 'build', 'test', 'deploy', 'docs']);
  });

  it('throws with the cycle when there is one', () => {
    const cyclic = [...steps, { name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }];
    expect(() => topologicalOrder(cyclic)).toThrow(new DagError('dependency cycle: a -> b -> a'));
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'a']);
    expect(findCycle([{ name: 'self', dependsOn: ['self'] }])).toEqual(['self', 'self']);
    expect(findCycle(steps)).toBeUndefined();
  });

  it('throws on unknown dependencies and duplicate names', () => {
    expect(() => topologicalOrder([{ name: 'a', dependsOn: ['x'] }])).toThrow(
      'step "a" depends on unknown step "x"',
    );
    expect(() =>
      topologicalOrder([
        { name: 'a', dependsOn: [] },
        { name: 'a', dependsOn: [] },
      ]),
    ).toThrow('duplicate step name "a"');
  });

  it('lists the steps that may start: deps succeeded, not finished, not in flight', () => {
    expect(readySteps(steps, new Map()).map((s) => s.name)).toEqual(['lint', 'build']);
    const finished = new Map([['build', 'succeeded' as const]]);
    expect(readySteps(steps, finished).map((s) => s.name)).toEqual(['lint', 'test']);
    expect(readySteps(steps, finished, ['lint']).map((s) => s.name)).toEqual(['test']);
    const failed = new Map([
      ['build', 'succeeded' as const],
      ['test', 'failed' as const],
      ['lint', 'cancelled' as const],
    ]);
    expect(readySteps(steps, failed)).toEqual([]);
  });

  it('names every step a failure skips, transitively, in definition order', () => {
    expect(stepsSkippedBy(steps, 'build')).toEqual(['deploy', 'test']);
    expect(stepsSkippedBy(steps, 'lint')).toEqual(['docs']);
    expect(stepsSkippedBy(steps, 'deploy')).toEqual([]);
    expect(stepsSkippedBy(steps, 'unknown')).toEqual([]);
  });

  it('handles a long chain without deep recursion', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => ({
      name: `s${i}`,
      dependsOn: i === 0 ? [] : [`s${i - 1}`],
    }));
    expect(topologicalOrder([...chain].reverse())[19_999].name).toBe('s19999');
    expect(stepsSkippedBy(chain, 's0')).toHaveLength(19_999);
    chain[0] = { name: 's0', dependsOn: ['s19999'] };
    expect(findCycle(chain)).toHaveLength(20_001);
  });
});
