import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { RunRequestedEvent } from './events/run-requested.event';
import { checkedRunRequest } from './run-requested.fast-check';

const valid = (): Record<string, unknown> => ({
  version: 1,
  runId: randomUUID(),
  projectId: randomUUID(),
  pipelineId: randomUUID(),
  trigger: 'webhook',
  triggeredBy: 'octocat',
  event: 'merge_request',
  gitRef: 'refs/heads/feature',
  branch: 'feature',
  commitSha: 'a'.repeat(40),
  mrAction: 'opened',
  fromFork: true,
  deliveryId: randomUUID(),
  applyTriggerFilters: true,
  requestedAt: new Date().toISOString(),
});

const KEYS = Object.keys({
  ...valid(),
  tag: 'v1',
  retryOfId: randomUUID(),
  failedOnly: false,
  commitMessage: 'Fix the build',
  commitAuthor: 'Mona',
  pullRequestUrl: 'https://github.com/acme/app/pull/7',
});

const oddValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    '',
    'x',
    'x'.repeat(65),
    'x'.repeat(201),
    'x'.repeat(1001),
    'x'.repeat(2001),
    '😀'.repeat(100),
    -1,
    0,
    1,
    1.5,
    NaN,
    true,
    false,
    [],
    {},
    'not-a-uuid',
    'webhook',
    'push',
    '2026-02-30T10:00:00.000Z',
    '2026-12-06T24:00:00.000Z',
    '2026-12-06',
  ),
  fc.uuid(),
  fc.string(),
  fc.integer(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

describe('checkedRunRequest', () => {
  it('accepts a valid request as the same instance class-transformer makes', () => {
    const data = valid();
    const fast = checkedRunRequest(data);
    expect(fast).toBeInstanceOf(RunRequestedEvent);
    expect(fast).toEqual(plainToInstance(RunRequestedEvent, data));
  });

  it('accepts what the platform publishes: manual runs without the optional fields', () => {
    const { branch, commitSha, mrAction, deliveryId, ...manual } = valid();
    expect([branch, commitSha, mrAction, deliveryId]).not.toContain(undefined);
    expect(checkedRunRequest({ ...manual, trigger: 'manual', event: 'manual' })).toBeInstanceOf(
      RunRequestedEvent,
    );
  });

  it('never accepts a request class-validator rejects', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KEYS),
        oddValue,
        fc.constantFrom(...KEYS),
        oddValue,
        (k1, v1, k2, v2) => {
          const data = valid();
          data[k1] = v1;
          data[k2] = v2;
          const fast = checkedRunRequest(data);
          const errors = validateSync(plainToInstance(RunRequestedEvent, data), {
            forbidUnknownValues: true,
          });
          if (fast !== undefined) expect(errors).toEqual([]);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
