import { RunningStep } from './running-steps';
import { stepOutcome } from './step-outcome';

const started = (killReason?: RunningStep['killReason']): RunningStep => ({
  key: 's:1',
  runId: 'r',
  stepId: 's',
  attempt: 1,
  handle: { runId: 'r', stepId: 's', attempt: 1, sandboxName: 'kiln-r-s-1' },
  killReason,
  killDetail: killReason ? 'wrong branch' : undefined,
});

describe('stepOutcome', () => {
  it('reports a cancelled step as cancelled whether the sandbox died of the signal or exited 137', () => {
    expect(stepOutcome(started('cancel'), { exitCode: 137, signal: 'SIGKILL' }, 1000)).toEqual({
      status: 'cancelled',
      error: 'wrong branch',
    });
    expect(stepOutcome(started('cancel'), { exitCode: 137 }, 1000)).toEqual({
      status: 'cancelled',
      error: 'wrong branch',
    });
  });

  it('reports a step killed at its timeout with the timeout, also when the sandbox exited 137', () => {
    expect(stepOutcome(started('timeout'), { exitCode: 137 }, 2000)).toEqual({
      status: 'failed',
      error: 'timed out after 2s',
    });
  });

  it('reports a step killed for printing nothing with how long it stayed silent', () => {
    const silent = { ...started('no-output'), killDetail: 'no output for 10m' };
    expect(stepOutcome(silent, { exitCode: 137, signal: 'SIGKILL' }, 3_600_000)).toEqual({
      status: 'failed',
      error: 'no output for 10m',
    });
    expect(stepOutcome(silent, { exitCode: 0 }, 3_600_000)).toEqual({ status: 'succeeded' });
  });

  it('keeps the result of a step that exited on its own before the kill took effect', () => {
    expect(stepOutcome(started('cancel'), { exitCode: 0 }, 1000)).toEqual({ status: 'succeeded' });
    expect(stepOutcome(started('timeout'), { exitCode: 3 }, 1000)).toEqual({ status: 'failed' });
  });

  it('takes exit code 137 without a kill for an ordinary failure', () => {
    expect(stepOutcome(started(), { exitCode: 137 }, 1000)).toEqual({ status: 'failed' });
  });
});
