import { Project, Run } from '@kiln/api-wire';
import { ApiClient } from '../api/api-client';
import { ServerError } from '../errors';
import { RunFollower } from './run-follower';

describe('RunFollower', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.removeListener('unhandledRejection', record));

  it("ends with a step log's refusal while the run still runs, instead of polling on with the refusal unhandled", async () => {
    const run = {
      id: 'run-1',
      status: 'running',
      steps: [{ id: 'step-1', name: 'build', status: 'running', started_at: '2026-12-06T20:00:00.000Z' }],
    } as unknown as Run;
    const polls = jest.fn().mockResolvedValue(run);
    const client = {
      get: polls,
      stream: jest.fn().mockRejectedValue(new ServerError('step not found', 404)),
    } as unknown as ApiClient;
    const follower = new RunFollower(client, { id: 'project-1' } as Project, run, {
      follow: true,
      prefix: false,
      write: () => undefined,
      pollMs: 10,
    });

    await expect(follower.start()).rejects.toThrow('step not found');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    expect(polls.mock.calls.length).toBeLessThan(3);
  });
});
