import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Errors a restarting or briefly unreachable server produces: the request timed out or was cut
 * by a disconnect, nobody answered (JetStream not up yet), or the JetStream API said it is
 * temporarily unavailable. Matched by name because the client's error classes are not all exported.
 */
export function isTransientNatsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  switch (err.name) {
    case 'TimeoutError':
    case 'ConnectionError':
    case 'JetStreamNotEnabled':
    case 'NoResponders':
      return true;
    case 'RequestError':
      return err.message === 'connection disconnected' || isTransientNatsError(err.cause);
    case 'JetStreamApiError':
      return (err as Error & { status?: number }).status === 503;
    default:
      return false;
  }
}

/** Retries `attempt` on transient errors with a growing pause until `budgetMs` has passed. */
export async function retryTransient<T>(
  budgetMs: number,
  attempt: (remainingMs: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt(Math.max(deadline - Date.now(), 1));
    } catch (err) {
      const pause = Math.min(100 * 2 ** tries, 1_000);
      if (!isTransientNatsError(err) || Date.now() + pause >= deadline) throw err;
      await sleep(pause);
    }
  }
}
