import { Pool } from 'pg';

/**
 * The cron sweep's statements on the pg pool rather than Prisma: the sweep runs every few seconds
 * from start, and one Prisma query is enough to load Prisma's WebAssembly query compiler and client
 * (11-15 MiB and ~8 MiB of heap) into a scheduler at rest. A spec compares their reads and writes
 * with Prisma's for the same rows. Every write stamps `updated_at`, as Prisma's `@updatedAt` did:
 * the reads of new schedules use it to notice a pipeline changed meanwhile.
 *
 * Columns are `timestamp(3)` holding UTC: `AT TIME ZONE 'UTC'` makes a column `timestamptz`, which
 * pg turns into the right Date whatever the session's zone; a Date travels as ISO text.
 */
const utc = (param: string) => `(${param}::timestamptz AT TIME ZONE 'UTC')`;

/** A schedule's change: the cron (null: none) and its next fire time. */
export interface ScheduleChange {
  cron: string | null;
  nextScheduleAt: Date | null;
}

const SYNC = {
  name: 'kiln-schedule-sync',
  text: `UPDATE pipelines SET schedule_cron = $2::text, next_schedule_at = ${utc('$3')}, updated_at = ${utc('$4')}
    WHERE id = $1::uuid AND schedule_cron IS DISTINCT FROM $2::text`,
};

/** Sets the pipeline's cron unless it already has that one; whether it changed anything. */
export async function syncSchedule(pool: Pool, pipelineId: string, change: ScheduleChange, now: Date): Promise<boolean> {
  const values = [pipelineId, change.cron, change.nextScheduleAt?.toISOString() ?? null, now.toISOString()];
  return ((await pool.query({ ...SYNC, values })).rowCount ?? 0) > 0;
}

/** A repository definition whose schedule has not been read since it was created or its source changed. */
export interface UnreadSchedule {
  id: string;
  configPath: string;
  scheduleCron: string | null;
  /** `updated_at` as PostgreSQL writes it, to find the row unchanged when the read is recorded. */
  version: string;
  project: { id: string; repoUrl: string; defaultBranch: string };
}

const UNREAD = {
  name: 'kiln-schedule-unread',
  text: `SELECT p.id, p.config_path AS "configPath", p.schedule_cron AS "scheduleCron", p.updated_at::text AS "version",
      pr.id AS "projectId", pr.repo_url AS "repoUrl", pr.default_branch AS "defaultBranch"
    FROM pipelines p JOIN projects pr ON pr.id = p.project_id
    WHERE p.yaml_config IS NULL AND p.schedule_read_at IS NULL AND p.deleted_at IS NULL
    ORDER BY p.updated_at LIMIT $1`,
};

type UnreadRow = Omit<UnreadSchedule, 'project'> & { projectId: string; repoUrl: string; defaultBranch: string };

/** The `limit` least recently changed pipelines whose repository schedule is unread. */
export async function unreadSchedules(pool: Pool, limit: number): Promise<UnreadSchedule[]> {
  const { rows } = await pool.query<UnreadRow>({ ...UNREAD, values: [limit] });
  return rows.map(({ projectId, repoUrl, defaultBranch, ...pipeline }) => ({
    ...pipeline,
    project: { id: projectId, repoUrl, defaultBranch },
  }));
}

const MARK_READ = {
  name: 'kiln-schedule-mark-read',
  text: `UPDATE pipelines SET schedule_read_at = ${utc('$3')}, updated_at = ${utc('$3')},
      schedule_cron = CASE WHEN $4::boolean THEN $5::text ELSE schedule_cron END,
      next_schedule_at = CASE WHEN $4::boolean THEN ${utc('$6')} ELSE next_schedule_at END
    WHERE id = $1::uuid AND updated_at = $2::timestamp`,
};

/**
 * Records that the pipeline's schedule was read at `now`, with its new cron if `change`, only if
 * nobody changed the pipeline since `version` was read; whether it did.
 */
export async function markScheduleRead(pool: Pool, pipeline: UnreadSchedule, now: Date, change?: ScheduleChange): Promise<boolean> {
  const values = [
    pipeline.id, pipeline.version, now.toISOString(), change !== undefined, change?.cron ?? null,
    change?.nextScheduleAt?.toISOString() ?? null,
  ];
  return ((await pool.query({ ...MARK_READ, values })).rowCount ?? 0) > 0;
}

/** A pipeline whose cron has come due. */
export interface DueSchedule {
  id: string;
  projectId: string;
  scheduleCron: string;
  nextScheduleAt: Date;
  defaultBranch: string;
}

const DUE = {
  name: 'kiln-schedule-due',
  text: `SELECT p.id, p.project_id AS "projectId", p.schedule_cron AS "scheduleCron",
      p.next_schedule_at AT TIME ZONE 'UTC' AS "nextScheduleAt", pr.default_branch AS "defaultBranch"
    FROM pipelines p JOIN projects pr ON pr.id = p.project_id
    WHERE p.next_schedule_at <= ${utc('$1')} AND p.schedule_cron IS NOT NULL AND p.deleted_at IS NULL
    LIMIT $2`,
};

export async function dueSchedules(pool: Pool, now: Date, limit: number): Promise<DueSchedule[]> {
  return (await pool.query<DueSchedule>({ ...DUE, values: [now.toISOString(), limit] })).rows;
}

const CLAIM = {
  name: 'kiln-schedule-claim',
  text: `UPDATE pipelines SET next_schedule_at = ${utc('$3')}, updated_at = ${utc('$4')}
    WHERE id = $1::uuid AND next_schedule_at = ${utc('$2')}`,
};

/**
 * Moves a due pipeline's next fire time on (null: it never fires again), only if it is still the one read: with several
 * scheduler replicas exactly one claims each fire time. Whether this one did.
 */
export async function claimDueSchedule(pool: Pool, due: DueSchedule, next: Date | null, now: Date): Promise<boolean> {
  const values = [due.id, due.nextScheduleAt.toISOString(), next?.toISOString() ?? null, now.toISOString()];
  return ((await pool.query({ ...CLAIM, values })).rowCount ?? 0) > 0;
}
