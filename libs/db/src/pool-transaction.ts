import { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one connection of `pool` inside a transaction and commits what it did; on an
 * error rolls back and rethrows. `work` issues BEGIN itself, so it may send it in one round trip
 * with its first statements (a simple query). A connection whose transaction could not be ended
 * is not given back to the pool.
 *
 * A checked-out client has no listener of the pool's: when its connection is cut while `work`
 * awaits something between two statements (PostgreSQL stopped, the session terminated), pg
 * emits 'error' on it, which would crash the process. The error is kept here instead; the next
 * statement fails on the closed connection and the client is destroyed on release.
 */
export async function inPoolTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollback: unknown) => {
      broken ??= rollback instanceof Error ? rollback : new Error(String(rollback));
    });
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
