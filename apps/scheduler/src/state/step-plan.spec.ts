import { planSteps, PlannedStep } from './step-plan';

const step = (name: string, status: PlannedStep['status'], dependsOn: string[] = []): PlannedStep => ({
  id: name,
  name,
  status,
  dependsOn,
});

describe('planSteps', () => {
  it('queues steps without dependencies and those whose dependencies succeeded', () => {
    const plan = planSteps([step('a', 'succeeded'), step('b', 'pending', ['a']), step('c', 'pending'), step('d', 'pending', ['b'])], false);
    expect(plan.queue).toEqual(['b', 'c']);
    expect(plan.skip).toEqual([]);
  });

  it('skips everything behind a failure, transitively, and lets independent branches run', () => {
    const plan = planSteps(
      [step('a', 'failed'), step('b', 'pending', ['a']), step('c', 'pending', ['b']), step('x', 'pending')],
      false,
    );
    expect(plan.skip.map((s) => s.id)).toEqual(['b', 'c']);
    expect(plan.skip[0].reason).toBe('skipped: dependency "a" failed');
    expect(plan.skip[1].reason).toBe('skipped: dependency "b" skipped');
    expect(plan.queue).toEqual(['x']);
  });

  it('cancels every unfinished step with fail_fast once one failed', () => {
    const plan = planSteps([step('a', 'failed'), step('b', 'running'), step('c', 'pending'), step('d', 'succeeded')], true);
    expect(plan.cancel.map((s) => s.id)).toEqual(['b', 'c']);
    expect(plan.queue).toEqual([]);
  });

  it('does nothing while dependencies are still running', () => {
    const plan = planSteps([step('a', 'running'), step('b', 'pending', ['a'])], false);
    expect(plan).toEqual({ queue: [], skip: [], cancel: [] });
  });
});
