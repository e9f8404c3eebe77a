import { admits, AdmissionLimits, competitionOf, hasLimits } from '@kiln/engine';
import { Pool, PoolClient, QueryResult } from 'pg';
import { uuidLiteral } from './run-rows';

/** Lock id serialising admissions, so replicas never exceed a limit together. */
const ADMISSION_LOCK = 72707370;

/**
 * The four counts a queued run's admission can ask for (`competition` in @kiln/engine), in one
 * statement: runs running and queued ahead of it, everywhere and in its project.
 */
const COUNTS = `(SELECT count(*) FROM runs r WHERE r.status = 'running')::int AS "running",
  (SELECT count(*) FROM runs r WHERE r.status = 'queued' AND r.created_at < q.created_at)::int AS "queuedAhead",
  (SELECT count(*) FROM runs r WHERE r.status = 'running' AND r.project_id = q.project_id)::int AS "projectRunning",
  (SELECT count(*) FROM runs r WHERE r.status = 'queued' AND r.created_at < q.created_at
    AND r.project_id = q.project_id)::int AS "projectQueuedAhead"`;

/** The oldest queued runs with their project's limit and the counts their admission asks for. */
const OLDEST_QUEUED = {
  name: 'kiln-state-oldest-queued',
  text: `SELECT q.id, p.concurrency_limit AS "projectLimit", ${COUNTS}
    FROM (SELECT id, project_id, created_at FROM runs WHERE status = 'queued' ORDER BY created_at LIMIT $1) q
    JOIN projects p ON p.id = q.project_id
    ORDER BY q.created_at`,
};

interface Counts {
  running: number;
  queuedAhead: number;
  projectRunning: number;
  projectQueuedAhead: number;
}

/** Whether the limits admit a run with these counts (the rule is `admits` in @kiln/engine). */
function fits(limits: AdmissionLimits, c: Counts): boolean {
  return admits(
    limits,
    competitionOf(limits, {
      global: { running: c.running, queuedAhead: c.queuedAhead },
      project: { running: c.projectRunning, queuedAhead: c.projectQueuedAhead },
    }),
  );
}

/**
 * Whether a queued run may start now under the global limit (`maxActive`, 0 = none) and its
 * project's `concurrency_limit`. Runs in the transaction that holds the run's lock; with limits,
 * admissions are serialised by an advisory lock held until it ends.
 */
export async function mayStart(client: PoolClient, runId: string, limits: AdmissionLimits): Promise<boolean> {
  if (!hasLimits(limits)) return true;
  // One round trip: the counts are a statement of their own, so they are taken once the lock is held.
  const results: unknown = await client.query(
    `SELECT pg_advisory_xact_lock(${ADMISSION_LOCK}); SELECT ${COUNTS} FROM runs q WHERE q.id = ${uuidLiteral(runId)}`,
  );
  if (!Array.isArray(results) || results.length !== 2) throw new Error('expected the results of the lock and the counts');
  const [, counts] = results as [QueryResult, QueryResult<Counts>];
  return fits(limits, counts.rows[0]);
}

/**
 * The oldest `take` queued runs that the limits would admit now, oldest first: the ones worth a
 * locking transaction. Read without the lock, so it only narrows: each is decided again under
 * its lock, and a run it leaves out is looked at again when the next run ends or by the watchdog.
 * With no limit anywhere every queued run is one (a limit removed since they queued frees them).
 */
export async function admissibleQueuedRuns(pool: Pool, maxActive: number, take: number): Promise<string[]> {
  const { rows } = await pool.query<Counts & { id: string; projectLimit: number | null }>({ ...OLDEST_QUEUED, values: [take] });
  return rows.filter((row) => fits({ maxActive, projectLimit: row.projectLimit }, row)).map((row) => row.id);
}
