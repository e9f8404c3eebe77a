import { Run, Step } from '@kiln/db';
import { PoolClient, QueryResult } from 'pg';
import { isUuid } from '@kiln/api-wire';

/**
 * The run and its steps as the writer reads them: hand-written statements through the pg pool
 * that answer exactly what Prisma's `run.findUnique({ include: { steps: true } })` answers (a spec
 * compares the two), without Prisma's interactive transaction and per-call query compilation.
 *
 * Columns are `timestamp(3)` holding UTC; `AT TIME ZONE 'UTC'` makes them `timestamptz`, which pg
 * turns into the right Date whatever the process's time zone. `bigint` arrives as text.
 */
const utc = (column: string, field: string) => `${column} AT TIME ZONE 'UTC' AS "${field}"`;

const RUN_COLUMNS = [
  'id',
  'project_id AS "projectId"',
  'pipeline_id AS "pipelineId"',
  'number',
  'status',
  'trigger',
  'triggered_by AS "triggeredBy"',
  'event',
  'git_ref AS "gitRef"',
  'branch',
  'tag',
  'commit_sha AS "commitSha"',
  'commit_message AS "commitMessage"',
  'commit_author AS "commitAuthor"',
  'pull_request_url AS "pullRequestUrl"',
  'definition',
  'error',
  'retry_of_id AS "retryOfId"',
  'delivery_id AS "deliveryId"',
  'from_fork AS "fromFork"',
  'secrets_withheld AS "secretsWithheld"',
  utc('created_at', 'createdAt'),
  utc('started_at', 'startedAt'),
  utc('finished_at', 'finishedAt'),
  utc('last_progress_at', 'lastProgressAt'),
  utc('deadline_at', 'deadlineAt'),
].join(', ');

const STEP_COLUMNS = [
  'id',
  'run_id AS "runId"',
  'name',
  'position',
  'image',
  // Prisma reads a NULL list as an empty one.
  `coalesce(commands, '{}') AS "commands"`,
  `coalesce(depends_on, '{}') AS "dependsOn"`,
  'status',
  'exit_code AS "exitCode"',
  'signal',
  'error',
  'attempt',
  'executor_id AS "executorId"',
  'sandbox_name AS "sandboxName"',
  'image_digest AS "imageDigest"',
  'log_ref AS "logRef"',
  'log_bytes::text AS "logBytes"',
  'deploy',
  'timeout_ms AS "timeoutMs"',
  'reused_from AS "reusedFrom"',
  utc('queued_at', 'queuedAt'),
  utc('started_at', 'startedAt'),
  utc('finished_at', 'finishedAt'),
  'duration_ms AS "durationMs"',
].join(', ');

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

type StepRow = Omit<Step, 'logBytes'> & { logBytes: string | null };

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

function decodeStep(row: StepRow): Step {
  return { ...row, logBytes: row.logBytes === null ? null : BigInt(row.logBytes) };
}
