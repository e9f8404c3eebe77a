import fc from 'fast-check';
import { decide } from './decide';
import { after, NOW, runRow, stepRow } from './decide.spec-helper';
import { EngineEvent } from './engine-events';
import { RunState, StepState } from './engine-state';
import { isTerminalRun, isTerminalStep } from './statuses';

const NAMES = ['a', 'b', 'c', 'd'];

/** A small DAG: each step may depend on earlier ones, be an approval, retry, or run on failure. */
const stepsArb = fc.integer({ min: 1, max: NAMES.length }).chain((n) =>
  fc.tuple(
    ...NAMES.slice(0, n).map((name, i) =>
      fc
        .record({
          dependsOn: fc.subarray(NAMES.slice(0, i)),
          approval: fc.boolean(),
          retry: fc.integer({ min: 0, max: 1 }),
          when: fc.constantFrom(undefined, ['failure'] as const, ['always'] as const),
        })
        .map(({ dependsOn, approval, retry, when }) =>
          stepRow(name, 'pending', { dependsOn, approval, retry, when: when && { status: [...when] } }),
        ),
    ),
  ),
);

const stepId = fc.constantFrom(...NAMES);
const attempt = fc.integer({ min: 1, max: 3 });
const eventArb: fc.Arbitrary<EngineEvent> = fc.oneof(
  fc.constant({ type: 'advance' as const }),
  fc.record({ type: fc.constant('step-started' as const), stepId, attempt, startedAt: fc.constant(NOW), executorId: fc.constant('ex'), sandboxName: fc.constant('sb') }),
  fc.record({
    type: fc.constant('step-finished' as const),
    stepId,
    attempt,
    status: fc.constantFrom('succeeded' as const, 'failed' as const, 'cancelled' as const),
    executorId: fc.constant('ex'),
    finishedAt: fc.constant(NOW),
  }),
  fc.record({ type: fc.constant('step-lost' as const), stepId, attempt, reason: fc.constant('lost') }),
  fc.record({ type: fc.constant('step-timed-out' as const), stepId, attempt, error: fc.constant('timed out') }),
  fc.record({ type: fc.constant('step-undeliverable' as const), stepId, attempt, error: fc.constant('no secret') }),
  fc.record({ type: fc.constant('approval-decided' as const), stepId, approved: fc.boolean(), decidedBy: fc.constant('ann') }),
  fc.record({ type: fc.constant('cancel' as const), requestedBy: fc.constant('ann'), reason: fc.constant('cancelled') }),
  fc.record({ type: fc.constant('fail' as const), reason: fc.constant('no progress') }),
  fc.record({ type: fc.constant('log-archived' as const), stepId, attempt, logRef: fc.constant('logs/x'), logBytes: fc.constant(1n) }),
);

/** Events with the admission answer at the time; drawn with repeats, so duplicates and any order occur. */
const historyArb = fc.array(fc.record({ event: eventArb, admitted: fc.boolean() }), { maxLength: 40 });

/** Done for good: a failed attempt with attempts left is not, the plan retries it. */
const finished = (s: StepState) => isTerminalStep(s.status) && !(s.status === 'failed' && !s.approval && s.attempt <= (s.retry ?? 0));
const moving = (s: StepState) => ({ status: s.status, attempt: s.attempt, error: s.error, exitCode: s.exitCode, finishedAt: s.finishedAt });

/** Folds the history over a fresh run, calling `check` with the rows before and after each event. */
function replay(
  steps: StepState[],
  failFast: boolean,
  history: { event: EngineEvent; admitted: boolean }[],
  check: (before: { run: RunState; steps: StepState[] }, event: EngineEvent, next: { run: RunState; steps: StepState[] }, now: Date) => void,
) {
  let state = { run: runRow('queued', { failFast }), steps };
  history.forEach(({ event, admitted }, i) => {
    const now = new Date(NOW.getTime() + (i + 1) * 60_000);
    const before = { run: { ...state.run, admitted }, steps: state.steps };
    const next = after(before.run, before.steps, event, now);
    check(before, event, next, now);
    state = next;
  });
}

describe('decide: properties', () => {
  it('never moves a finished run, or a finished step, whatever events come in whatever order', () => {
    fc.assert(
      fc.property(stepsArb, fc.boolean(), historyArb, (steps, failFast, history) => {
        replay(steps, failFast, history, (before, _event, next) => {
          if (isTerminalRun(before.run.status)) {
            expect(next.run).toEqual(before.run);
            expect(next.steps.map(moving)).toEqual(before.steps.map(moving));
          }
          before.steps.forEach((s, i) => {
            if (finished(s)) expect(moving(next.steps[i])).toEqual(moving(s));
          });
        });
      }),
      { numRuns: 500 },
    );
  });

  it('changes nothing when an event is handled twice (a dispatch may be published again: its id drops it)', () => {
    fc.assert(
      fc.property(stepsArb, fc.boolean(), historyArb, (steps, failFast, history) => {
        replay(steps, failFast, history, (_before, event, next, now) => {
          const again = decide(next.run, next.steps, event, now);
          expect(again.changes).toEqual({ steps: [] });
          expect(again.effects.filter((e) => e.type !== 'dispatch')).toEqual([]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('ends a run only with every step finished, and reports it once', () => {
    fc.assert(
      fc.property(stepsArb, fc.boolean(), historyArb, (steps, failFast, history) => {
        replay(steps, failFast, history, (before, event, next, now) => {
          const effects = decide(before.run, before.steps, event, now).effects;
          const ended = !isTerminalRun(before.run.status) && isTerminalRun(next.run.status);
          expect(effects.filter((e) => e.type === 'run-finished')).toHaveLength(ended ? 1 : 0);
          if (isTerminalRun(next.run.status)) expect(next.steps.every((s) => isTerminalStep(s.status))).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
