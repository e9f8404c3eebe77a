import { inPoolTransaction, Prisma, StepStatus, TriggerType } from '@kiln/db';
import { Pool } from 'pg';
import { uuidLiteral } from '../state/run-rows';

/**
 * Run creation's statements on the pg pool (not Prisma): the read deciding whether a run request
 * can become a run, and the insert of the run with its steps. A spec shows the rows they write
 * equal, column for column, what Prisma's `run.create`, `step.createMany` and `project.update`
 * wrote from the same values.
 *
 * Columns are `timestamp(3)` holding UTC: a Date travels as ISO text and is stored as
 * `$n::timestamptz AT TIME ZONE 'UTC'`, right whatever the session's zone. That is also why
 * `created_at` and `last_progress_at` are written, not left to their default: `CURRENT_TIMESTAMP`
 * into a `timestamp` column is the session's local time.
 */

/** The pipeline a run is requested for, with what creation needs of its project; null: no such pipeline. */
export interface RunSource {
  /** Whether the requested run already exists (a redelivered request). */
  runExists: boolean;
  pipeline: {
    id: string;
    projectId: string;
    yamlConfig: string | null;
    configPath: string;
    cancelPrevious: boolean;
    deleted: boolean;
    repoUrl: string;
    defaultBranch: string;
    secretsForForks: boolean;
  } | null;
}

/** Both answers in one statement: the one row of `one` is there whether or not the pipeline is. */
const READ_SOURCE = {
  name: 'kiln-runs-source',
  text: `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1::uuid) AS "runExists",
    p.id, p.project_id AS "projectId", p.yaml_config AS "yamlConfig", p.config_path AS "configPath",
    p.cancel_previous AS "cancelPrevious", p.deleted_at IS NOT NULL AS "deleted",
    pr.repo_url AS "repoUrl", pr.default_branch AS "defaultBranch", pr.secrets_for_forks AS "secretsForForks"
  FROM (VALUES (1)) AS one (x)
  LEFT JOIN pipelines p ON p.id = $2::uuid
  LEFT JOIN projects pr ON pr.id = p.project_id`,
};

type SourceRow = { runExists: boolean } & { [K in keyof NonNullable<RunSource['pipeline']>]: NonNullable<RunSource['pipeline']>[K] | null };

export async function readRunSource(pool: Pool, runId: string, pipelineId: string): Promise<RunSource> {
  const { rows } = await pool.query<SourceRow>({ ...READ_SOURCE, values: [runId, pipelineId] });
  const { runExists, ...pipeline } = rows[0];
  if (pipeline.id === null) return { runExists, pipeline: null };
  return { runExists, pipeline: pipeline as NonNullable<RunSource['pipeline']> };
}

/** A new run's row, as Prisma's `run.create` took it (`definition` null: SQL NULL). */
export interface NewRunRow {
  id: string;
  projectId: string;
  pipelineId: string;
  status: 'queued' | 'failed';
  trigger: TriggerType;
  triggeredBy: string;
  event: string;
  gitRef: string;
  branch: string | null;
  tag: string | null;
  commitSha: string | null;
  commitMessage: string | null;
  commitAuthor: string | null;
  pullRequestUrl: string | null;
  definition: Prisma.InputJsonValue | null;
  error: string | null;
  retryOfId: string | null;
  deliveryId: string | null;
  fromFork: boolean;
  secretsWithheld: string | null;
  finishedAt: Date | null;
}

/** A new run's step: pending, or succeeded with the results of the retried run's step it reuses. */
export interface NewStepRow {
  name: string;
  position: number;
  image: string;
  commands: string[];
  dependsOn: string[];
  deploy: boolean;
  timeoutMs: number | null;
  status: Extract<StepStatus, 'pending' | 'succeeded'>;
  exitCode: number | null;
  logRef: string | null;
  imageDigest: string | null;
  durationMs: number | null;
  reusedFrom: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const utc = (param: string) => `(${param}::timestamptz AT TIME ZONE 'UTC')`;

/**
 * The run, its steps (from one JSON parameter, missing keys being NULL) and the project's activity
 * in one statement. Its number is read here, in a statement of its own after the project's lock
 * is held, so it sees the run of whoever held the lock before: a single statement's snapshot
 * would predate the lock wait. The step insert reads the run's RETURNING, so it comes second.
 */
const INSERT = {
  name: 'kiln-runs-insert',
  text: `WITH run AS (
    INSERT INTO runs (id, project_id, pipeline_id, number, status, trigger, triggered_by, event, git_ref, branch, tag,
      commit_sha, commit_message, commit_author, pull_request_url, definition, error, retry_of_id, delivery_id,
      from_fork, secrets_withheld, created_at, last_progress_at, finished_at)
    VALUES ($1::uuid, $2::uuid, $3::uuid, (SELECT coalesce(max(number), 0) + 1 FROM runs WHERE project_id = $2::uuid),
      $4::"RunStatus", $5::"TriggerType", $6::text, $7::text, $8::text, $9::text, $10::text,
      $11::text, $12::text, $13::text, $14::text, $15::jsonb, $16::text, $17::uuid, $18::uuid,
      $19::boolean, $20::text, ${utc('$21')}, ${utc('$21')}, ${utc('$22')})
    RETURNING id
  ), steps AS (
    INSERT INTO steps (id, run_id, name, position, image, commands, depends_on, deploy, timeout_ms, status,
      exit_code, log_ref, image_digest, duration_ms, reused_from, started_at, finished_at)
    SELECT gen_random_uuid(), run.id, s.name, s.position, s.image, s.commands, s."dependsOn", s.deploy, s."timeoutMs",
      s.status, s."exitCode", s."logRef", s."imageDigest", s."durationMs", s."reusedFrom",
      s."startedAt" AT TIME ZONE 'UTC', s."finishedAt" AT TIME ZONE 'UTC'
    FROM run, jsonb_to_recordset($23::jsonb) AS s (name text, position int, image text, commands text[],
      "dependsOn" text[], deploy boolean, "timeoutMs" int, status "StepStatus", "exitCode" int, "logRef" text,
      "imageDigest" text, "durationMs" int, "reusedFrom" uuid, "startedAt" timestamptz, "finishedAt" timestamptz)
  )
  UPDATE projects SET last_activity_at = ${utc('$21')}, updated_at = ${utc('$21')} WHERE id = $2::uuid`,
};

/**
 * Inserts the run numbered next in its project, with its steps, and marks the project active at
 * `now` (its `created_at` and `last_progress_at` too). Three round trips: BEGIN with the project's
 * row lock, which serialises numbering between scheduler replicas (a simple query: the id, checked
 * to be a UUID, is in its text); the insert; COMMIT. A value PostgreSQL refuses (a NUL byte) makes
 * it throw pg's error, with nothing written.
 */
export async function insertRun(pool: Pool, run: NewRunRow, steps: readonly NewStepRow[], now: Date): Promise<void> {
  const values = [
    run.id, run.projectId, run.pipelineId, run.status, run.trigger, run.triggeredBy, run.event, run.gitRef, run.branch, run.tag,
    run.commitSha, run.commitMessage, run.commitAuthor, run.pullRequestUrl,
    run.definition === null ? null : JSON.stringify(run.definition), run.error, run.retryOfId, run.deliveryId,
    run.fromFork, run.secretsWithheld, now.toISOString(), run.finishedAt?.toISOString() ?? null,
    JSON.stringify(steps),
  ];
  await inPoolTransaction(pool, async (client) => {
    await client.query(`BEGIN; SELECT 1 FROM projects WHERE id = ${uuidLiteral(run.projectId)} FOR UPDATE`);
    await client.query({ ...INSERT, values });
  });
}
