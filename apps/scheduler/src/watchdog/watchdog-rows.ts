import { Pool } from 'pg';

/**
 * The watchdog's reads, as parametrised statements on the pg pool rather than Prisma: the sweep
 * runs every few seconds from start, and one Prisma query is enough to load Prisma's WebAssembly
 * query compiler and client (11-15 MiB and ~8 MiB of heap) into a scheduler at rest. A spec
 * compares their answers with what Prisma's `findMany` answered for the same rows.
 *
 * Columns are `timestamp(3)` holding UTC: `AT TIME ZONE 'UTC'` makes a column `timestamptz`, which
 * pg turns into the right Date whatever the session's zone; a Date travels as ISO text and is
 * compared as `$n::timestamptz AT TIME ZONE 'UTC'`.
 */

/** An approval step that may expire: waiting, with a `timeout`. */
export interface WaitingApproval {
  id: string;
  runId: string;
  queuedAt: Date | null;
  timeoutMs: number;
}

const WAITING_APPROVALS = {
  name: 'kiln-watchdog-waiting-approvals',
  text: `SELECT id, run_id AS "runId", queued_at AT TIME ZONE 'UTC' AS "queuedAt", timeout_ms AS "timeoutMs"
    FROM steps WHERE status = 'waiting' AND timeout_ms IS NOT NULL`,
};

export async function waitingApprovals(pool: Pool): Promise<WaitingApproval[]> {
  return (await pool.query<WaitingApproval>(WAITING_APPROVALS)).rows;
}

/** What the watchdog knows of the executor a running step was dispatched to. */
export interface StepExecutor {
  startedAt: Date;
  lastHeartbeatAt: Date;
  /** `<stepId>:<attempt>` of the steps its last heartbeat listed. */
  runningSteps: string[];
}

/** A running step with its executor's row (null: no executor, or none of that id). */
export interface RunningStep {
  id: string;
  runId: string;
  name: string;
  attempt: number;
  executorId: string | null;
  startedAt: Date | null;
  timeoutMs: number | null;
  executor: StepExecutor | null;
}

const RUNNING_STEPS = {
  name: 'kiln-watchdog-running-steps',
  text: `SELECT s.id, s.run_id AS "runId", s.name, s.attempt, s.executor_id AS "executorId",
      s.started_at AT TIME ZONE 'UTC' AS "startedAt", s.timeout_ms AS "timeoutMs",
      e.id AS "executorRow", e.started_at AT TIME ZONE 'UTC' AS "executorStartedAt",
      e.last_heartbeat_at AT TIME ZONE 'UTC' AS "executorHeartbeatAt", e.running_steps AS "executorRunningSteps"
    FROM steps s LEFT JOIN executors e ON e.id = s.executor_id
    WHERE s.status = 'running'`,
};

type RunningStepRow = Omit<RunningStep, 'executor'> & {
  executorRow: string | null;
  executorStartedAt: Date | null;
  executorHeartbeatAt: Date | null;
  executorRunningSteps: string[] | null;
};

/** Every running step with its executor, in one round trip (Prisma took two). */
export async function runningSteps(pool: Pool): Promise<RunningStep[]> {
  const { rows } = await pool.query<RunningStepRow>(RUNNING_STEPS);
  return rows.map(({ executorRow, executorStartedAt, executorHeartbeatAt, executorRunningSteps, ...step }) => ({
    ...step,
    executor:
      executorRow === null
        ? null
        : { startedAt: executorStartedAt!, lastHeartbeatAt: executorHeartbeatAt!, runningSteps: executorRunningSteps! },
  }));
}

/**
 * Runs past the run timeout (queued or running, started before `startedBefore`) and running runs
 * without progress since `progressBefore` that have no step running.
 */
const OVERDUE_RUNS = {
  name: 'kiln-watchdog-overdue-runs',
  text: `SELECT id, started_at AT TIME ZONE 'UTC' AS "startedAt" FROM runs r
    WHERE (status IN ('queued', 'running') AND started_at < ($1::timestamptz AT TIME ZONE 'UTC'))
      OR (status = 'running' AND last_progress_at < ($2::timestamptz AT TIME ZONE 'UTC')
        AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id AND s.status = 'running'))`,
};

export async function overdueRuns(
  pool: Pool,
  startedBefore: Date,
  progressBefore: Date,
): Promise<{ id: string; startedAt: Date | null }[]> {
  const values = [startedBefore.toISOString(), progressBefore.toISOString()];
  return (await pool.query<{ id: string; startedAt: Date | null }>({ ...OVERDUE_RUNS, values })).rows;
}
