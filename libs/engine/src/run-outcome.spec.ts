import { allStepsFinished, runOutcome, waitingOnly } from './run-outcome';
import { StepStatus } from './statuses';

const steps = (...statuses: StepStatus[]) => statuses.map((status) => ({ status }));

describe('run outcome', () => {
  it.each<[StepStatus[], string]>([
    [['succeeded', 'skipped'], 'succeeded'],
    [['succeeded', 'cancelled'], 'cancelled'],
    [['cancelled', 'failed'], 'failed'],
    [[], 'succeeded'],
  ])('steps %j end the run %s', (statuses, outcome) => {
    expect(runOutcome(steps(...statuses))).toBe(outcome);
  });

  it('finishes a run only when no step is pending, queued, running or waiting', () => {
    expect(allStepsFinished(steps('succeeded', 'failed', 'skipped', 'cancelled'))).toBe(true);
    for (const open of ['pending', 'queued', 'running', 'waiting'] as const) {
      expect(allStepsFinished(steps('succeeded', open))).toBe(false);
    }
  });

  it('waits only when an approval waits and nothing is queued or running', () => {
    expect(waitingOnly(steps('waiting', 'pending', 'succeeded'))).toBe(true);
    expect(waitingOnly(steps('waiting', 'running'))).toBe(false);
    expect(waitingOnly(steps('waiting', 'queued'))).toBe(false);
    expect(waitingOnly(steps('pending', 'succeeded'))).toBe(false);
  });
});
