import { Step } from './generated/client';

/**
 * The columns of `runs` and `steps` as Prisma's models name and type them, for hand-written
 * statements through the pg pool that must answer exactly what Prisma's reads answer (the
 * scheduler's writer, the gateway's run listings; a spec of each compares the two).
 *
 * Columns are `timestamp(3)` holding UTC; `AT TIME ZONE 'UTC'` makes them `timestamptz`, which pg
 * turns into the right Date whatever the process's time zone. `bigint` arrives as text (StepRow).
 */
const utc = (column: string, field: string) => `${column} AT TIME ZONE 'UTC' AS "${field}"`;

export const RUN_COLUMNS = [
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

export const STEP_COLUMNS = [
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

/** A step as STEP_COLUMNS reads it: `log_bytes` as text. */
export type StepRow = Omit<Step, 'logBytes'> & { logBytes: string | null };

export function decodeStep(row: StepRow): Step {
  return { ...row, logBytes: row.logBytes === null ? null : BigInt(row.logBytes) };
}
