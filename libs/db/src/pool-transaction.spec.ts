import { Pool } from 'pg';
import { inPoolTransaction } from './pool-transaction';
import { createScratchDatabase, ScratchDatabase } from './scratch-database.spec-helper';

describe('inPoolTransaction', () => {
  let db: ScratchDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createScratchDatabase();
    await db.query('CREATE TABLE t (n int)');
    pool = new Pool({ connectionString: db.url, max: 1 });
    pool.on('error', () => undefined);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('commits what the work did and rolls back when it throws', async () => {
    await inPoolTransaction(pool, (c) => c.query('BEGIN; INSERT INTO t VALUES (1)'));
    await expect(
      inPoolTransaction(pool, async (c) => {
        await c.query('BEGIN; INSERT INTO t VALUES (2)');
        throw new Error('decided against it');
      }),
    ).rejects.toThrow('decided against it');
    expect(await db.query('SELECT n FROM t')).toEqual([{ n: 1 }]);
  });

  it('survives its connection being cut between two statements and does not give it back to the pool', async () => {
    const uncaught: Error[] = [];
    const record = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const outcome = inPoolTransaction(pool, async (c) => {
        await c.query('BEGIN');
        const [{ pid }] = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
        // What a fast shutdown of PostgreSQL does to every session, while no statement runs.
        await db.query('SELECT pg_terminate_backend($1)', [pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await c.query('INSERT INTO t VALUES (3)');
      });
      await expect(outcome).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The pool (of one) hands out a new, working connection.
      await inPoolTransaction(pool, (c) => c.query('BEGIN; INSERT INTO t VALUES (4)'));
      expect(await db.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 4 }]);
    } finally {
      process.removeListener('uncaughtException', record);
    }
  });
});
