import { StepCondition } from '@kiln/definition';
import { planSteps, PlannedStep, PlanOptions } from './step-plan';

const step = (name: string, status: PlannedStep['status'], dependsOn: string[] = [], extra: Partial<PlannedStep> = {}): PlannedStep => ({
  id: name,
  name,
  status,
  dependsOn,
  attempt: 1,
  ...extra,
});
const on = (status: StepCondition['status'], rest: Partial<StepCondition> = {}): Partial<PlannedStep> => ({ when: { status, ...rest } });
const options = (failFast = false): PlanOptions => ({ failFast, run: { branch: 'main', events: ['push'] } });

describe('planSteps', () => {
  it('queues steps without dependencies and those whose dependencies succeeded', () => {
    const plan = planSteps([step('a', 'succeeded'), step('b', 'pending', ['a']), step('c', 'pending'), step('d', 'pending', ['b'])], options());
    expect(plan.queue).toEqual(['b', 'c']);
    expect(plan.skip).toEqual([]);
  });

  it('skips everything behind a failure, transitively, and lets independent branches run', () => {
    const plan = planSteps(
      [step('a', 'failed'), step('b', 'pending', ['a']), step('c', 'pending', ['b']), step('x', 'pending')],
      options(),
    );
    expect(plan.skip.map((s) => s.id)).toEqual(['b', 'c']);
    expect(plan.skip[0].reason).toBe('skipped: dependency "a" failed');
    expect(plan.skip[1].reason).toBe('skipped: dependency "b" skipped');
    expect(plan.queue).toEqual(['x']);
  });

  it('cancels every unfinished step with fail_fast once one failed', () => {
    const plan = planSteps([step('a', 'failed'), step('b', 'running'), step('c', 'pending'), step('d', 'succeeded'), step('e', 'waiting')], options(true));
    expect(plan.cancel.map((s) => s.id)).toEqual(['b', 'c', 'e']);
    expect(plan.queue).toEqual([]);
  });

  it('does nothing while dependencies are still running', () => {
    const plan = planSteps([step('a', 'running'), step('b', 'pending', ['a'])], options());
    expect(plan).toEqual({ queue: [], wait: [], retry: [], skip: [], cancel: [] });
  });

  describe('when', () => {
    it('skips a step whose branch or event does not match, with the reason, and its dependants', () => {
      const plan = planSteps(
        [step('a', 'pending', [], on(['success'], { branch: ['release/*'] })), step('b', 'pending', ['a']), step('c', 'pending', [], on(['success'], { event: ['push'] }))],
        options(),
      );
      expect(plan.skip).toEqual([
        { id: 'a', reason: 'skipped: when.branch does not match branch "main"' },
        { id: 'b', reason: 'skipped: dependency "a" skipped' },
      ]);
      expect(plan.queue).toEqual(['c']);
    });

    it.each([
      ['failure', 'failed', 'queue'],
      ['failure', 'succeeded', 'skip'],
      ['always', 'failed', 'queue'],
      ['always', 'succeeded', 'queue'],
      ['success', 'failed', 'skip'],
      ['success', 'succeeded', 'queue'],
    ] as const)('a when.status %s step after a %s dependency: %s', (wanted, dependency, outcome) => {
      const plan = planSteps([step('a', dependency), step('h', 'pending', ['a'], on([wanted]))], options());
      expect(outcome === 'queue' ? plan.queue : plan.skip.map((s) => s.id)).toEqual(['h']);
    });

    it('runs a failure handler behind a skipped step once everything before it is done', () => {
      const steps = [step('a', 'failed'), step('b', 'pending', ['a']), step('h', 'pending', ['b'], on(['failure']))];
      expect(planSteps(steps, options()).queue).toEqual(['h']);
      const running = [step('a', 'failed'), step('b', 'running'), step('h', 'pending', ['a', 'b'], on(['failure']))];
      expect(planSteps(running, options()).queue).toEqual([]);
    });

    it('keeps failure handlers from fail_fast cancellation and runs them', () => {
      const plan = planSteps([step('a', 'failed'), step('b', 'pending', ['a']), step('h', 'pending', ['b'], on(['failure']))], options(true));
      expect(plan.cancel.map((s) => s.id)).toEqual(['b']);
      expect(plan.queue).toEqual(['h']);
    });

    it('keeps a queued or running failure handler when fail_fast looks again', () => {
      for (const status of ['queued', 'running'] as const) {
        const plan = planSteps([step('a', 'failed'), step('h', status, [], on(['always']))], options(true));
        expect(plan.cancel).toEqual([]);
      }
    });

    it('says why a failure handler did not run', () => {
      const plan = planSteps([step('a', 'succeeded'), step('h', 'pending', ['a'], on(['failure']))], options());
      expect(plan.skip).toEqual([{ id: 'h', reason: 'skipped: when.status is failure, and no step before it failed' }]);
      const unrelated = planSteps([step('x', 'failed'), step('a', 'succeeded'), step('h', 'pending', ['a'], on(['failure']))], options());
      expect(unrelated.skip.map((s) => s.id)).toEqual(['h']);
    });

    it('waits for the steps before a skipped dependency before deciding on a failure handler', () => {
      const steps = [
        step('build', 'running'),
        step('release', 'pending', ['build'], on(['success'], { branch: ['release/*'] })),
        step('notify', 'pending', ['release'], on(['failure'])),
      ];
      expect(planSteps(steps, options()).skip.map((s) => s.id)).toEqual(['release']);
      steps[0].status = 'failed';
      steps[1].status = 'skipped';
      expect(planSteps(steps, options()).queue).toEqual(['notify']);
    });
  });

  describe('retry', () => {
    it('retries a failed step while it has attempts left, and nothing behind it is skipped meanwhile', () => {
      const plan = planSteps([step('a', 'failed', [], { retry: 2, attempt: 2 }), step('b', 'pending', ['a'])], options(true));
      expect(plan).toEqual({ queue: [], wait: [], retry: ['a'], skip: [], cancel: [] });
    });

    it('lets the last attempt fail the step', () => {
      const plan = planSteps([step('a', 'failed', [], { retry: 2, attempt: 3 }), step('b', 'pending', ['a'])], options());
      expect(plan.retry).toEqual([]);
      expect(plan.skip.map((s) => s.id)).toEqual(['b']);
    });
  });

  describe('approval', () => {
    it('makes an approval step wait once its dependencies succeeded, and blocks its dependants', () => {
      const plan = planSteps([step('a', 'succeeded'), step('gate', 'pending', ['a'], { approval: true }), step('b', 'pending', ['gate'])], options());
      expect(plan.wait).toEqual(['gate']);
      expect(plan.queue).toEqual([]);
    });

    it('continues after an approval and skips behind a rejected one', () => {
      expect(planSteps([step('gate', 'succeeded', [], { approval: true }), step('b', 'pending', ['gate'])], options()).queue).toEqual(['b']);
      const rejected = planSteps([step('gate', 'failed', [], { approval: true, retry: 3 }), step('b', 'pending', ['gate'])], options());
      expect(rejected.retry).toEqual([]);
      expect(rejected.skip).toEqual([{ id: 'b', reason: 'skipped: dependency "gate" failed' }]);
    });
  });
});
