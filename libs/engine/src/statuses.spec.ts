import { RunStatus as DbRunStatus, StepStatus as DbStepStatus } from '@kiln/db';
import {
  ACTIVE_STEP_STATUSES,
  isTerminalRun,
  isTerminalStep,
  RUN_STATUSES,
  STEP_STATUSES,
  TERMINAL_RUN_STATUSES,
  TERMINAL_STEP_STATUSES,
  UNFINISHED_RUN_STATUSES,
  UNFINISHED_STEP_STATUSES,
} from './statuses';

describe('status vocabulary', () => {
  it('names exactly the statuses the database stores', () => {
    expect([...RUN_STATUSES].sort()).toEqual(Object.values(DbRunStatus).sort());
    expect([...STEP_STATUSES].sort()).toEqual(Object.values(DbStepStatus).sort());
  });

  it('splits every status into terminal or unfinished, never both', () => {
    expect([...TERMINAL_RUN_STATUSES, ...UNFINISHED_RUN_STATUSES].sort()).toEqual([...RUN_STATUSES].sort());
    expect([...TERMINAL_STEP_STATUSES, ...UNFINISHED_STEP_STATUSES].sort()).toEqual([...STEP_STATUSES].sort());
    for (const status of ACTIVE_STEP_STATUSES) expect(UNFINISHED_STEP_STATUSES).toContain(status);
  });

  it('says which statuses are terminal', () => {
    expect(RUN_STATUSES.filter(isTerminalRun)).toEqual(['succeeded', 'failed', 'cancelled']);
    expect(STEP_STATUSES.filter(isTerminalStep)).toEqual(['succeeded', 'failed', 'cancelled', 'skipped']);
    expect(isTerminalRun('skipped')).toBe(false);
  });
});
