import { decodeStep, Run, RUN_COLUMNS, Step, STEP_COLUMNS, StepRow } from '@kiln/db';
import { PoolClient, QueryResult } from 'pg';
import { isUuid } from '@kiln/api-wire';

/**
 * The run and its steps as the writer reads them: hand-written statements through the pg pool
 * that answer exactly what Prisma's `run.findUnique({ include: { steps: true } })` answers (a spec
 * compares the two), without Prisma's interactive transaction and per-call query compilation.
 */

/**
 * One round trip, as three statements of one simple query: the transaction begins, the run's row
 * is locked and read with its project's concurrency limit, then its steps are read. Each statement
 * takes its own snapshot, so the steps are read after the lock is held and show what the previous
 * writer committed (in one statement they could predate it). A simple query carries no parameters:
 * the id, checked to be a UUID, is written into the text. Named statements are not possible here,
 * so the text is parsed each time: cheaper than a round trip more.
 */
function beginAndReadText(runId: string): string {
  return `BEGIN;
    SELECT ${RUN_COLUMNS},
      (SELECT concurrency_limit FROM projects WHERE projects.id = runs.project_id) AS "projectLimit"
    FROM runs WHERE id = ${uuidLiteral(runId)} FOR UPDATE;
    SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ${uuidLiteral(runId)} ORDER BY position`;
}

/** A run id as a literal for the text of a simple query (which has no parameters); refuses anything but a UUID. */
export function uuidLiteral(id: string): string {
  if (!isUuid(id)) throw new Error(`not a run id: ${JSON.stringify(id)}`);
  return `'${id}'::uuid`;
}

export interface LockedRun {
  run: Run & { steps: Step[] };
  /** The project's `concurrency_limit` (null: none). */
  projectLimit: number | null;
}

/**
 * Begins a transaction on `client`, locks the run's row until it ends and reads the run with its
 * steps; null: no such run (the transaction is open all the same).
 */
export async function beginWithRun(client: PoolClient, runId: string): Promise<LockedRun | null> {
  // pg answers a query of several statements with one result each (its typings know only one).
  const results: unknown = await client.query(beginAndReadText(runId));
  if (!Array.isArray(results) || results.length !== 3)
    throw new Error('expected the results of BEGIN and two reads');
  const [, locked, steps] = results as [
    QueryResult,
    QueryResult<Run & { projectLimit: number | null }>,
    QueryResult<StepRow>,
  ];
  if (locked.rows.length === 0) return null;
  const { projectLimit, ...run } = locked.rows[0];
  return { run: { ...run, steps: steps.rows.map(decodeStep) }, projectLimit };
}
