import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Backend, StepHandle } from '../backend/backend';
import { ExecutorConfig } from '../config';
import { RunningSteps } from './running-steps';
import { StepRunnerService } from './step-runner.service';

describe('StepRunnerService, when the backend cannot kill a step', () => {
  it('records the kill, logs that it failed and resolves: a timer calling it unawaited must not end the process', async () => {
    const running = new RunningSteps();
    const runId = randomUUID();
    const step = running.add(runId, randomUUID(), 1)!;
    step.handle = { id: 'sandbox-1' } as unknown as StepHandle;
    const engineDown = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' });
    const kill = jest.fn().mockRejectedValue(engineDown);
    const backend = { kind: 'docker', kill } as unknown as Backend;
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const runner = new StepRunnerService(
      {} as never,
      running,
      {} as never,
      backend,
      {} as ExecutorConfig,
      {} as never,
      {} as never,
    );

    await expect(runner.cancelRun({ version: 1, runId, requestedBy: 'alice', reason: 'not needed' })).resolves.toBeUndefined();

    expect(kill).toHaveBeenCalledWith(step.handle, 'cancel');
    expect([step.killReason, step.killDetail]).toEqual(['cancel', 'not needed']);
    expect(errors).toHaveBeenCalledWith(
      expect.objectContaining({ runId, reason: 'cancel', error: 'connect ENOENT /var/run/docker.sock' }),
      'the step could not be killed',
    );
    // Already marked: a repeated cancel does not try again.
    await runner.cancelRun({ version: 1, runId, requestedBy: 'alice', reason: 'again' });
    expect(kill).toHaveBeenCalledTimes(1);
  });
});
