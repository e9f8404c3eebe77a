import { JetStreamApiError } from '@nats-io/jetstream';
import { ClosedConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { isTransientNatsError, retryTransient } from './transient-error';

describe('transient NATS errors', () => {
  it('tells a restarting server from a programming or permanent error', () => {
    expect(isTransientNatsError(new TimeoutError())).toBe(true);
    expect(isTransientNatsError(new RequestError('x', { cause: new NoRespondersError('s') }))).toBe(true);
    expect(isTransientNatsError(new RequestError('connection disconnected'))).toBe(true);
    // What js.publish throws when no stream answers yet (its class is not exported).
    const notEnabled = Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' });
    expect(isTransientNatsError(notEnabled)).toBe(true);
    expect(
      isTransientNatsError(new JetStreamApiError({ code: 503, err_code: 10008, description: 'x' })),
    ).toBe(true);
    expect(
      isTransientNatsError(new JetStreamApiError({ code: 400, err_code: 10058, description: 'x' })),
    ).toBe(false);
    expect(isTransientNatsError(new ClosedConnectionError())).toBe(false);
    expect(isTransientNatsError(new Error('boom'))).toBe(false);
  });

  it('retries transient errors within the budget, then gives up', async () => {
    let calls = 0;
    await expect(
      retryTransient(2_000, async () => {
        if (++calls < 3) throw new TimeoutError();
        return 'ok';
      }),
    ).resolves.toBe('ok');
    const started = Date.now();
    await expect(
      retryTransient(500, async () => {
        throw new TimeoutError();
      }),
    ).rejects.toThrow('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(retryTransient(5_000, async () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
  });
});
