import { decodeStep, Run, RUN_COLUMNS, STEP_COLUMNS, StepRow } from '@kiln/db';
import { Pool } from 'pg';
import { decodeCursor } from '../common/pagination';
import { isUuid } from '@kiln/api-wire';
import { RunWithSteps } from './run.presenter';
import { AllRunsQuery } from './runs.dto';

/** Whose runs a listing shows: one project's, those of a list of projects, or every project's (null). */
export type RunScope = { projectId: string } | { projectIds: string[] | null };

/**
 * One page of a run listing, newest first, with each run's steps in order: two statements through
 * the pg pool instead of Prisma's `run.findMany({ include: steps })`, which compiled the query on
 * every call (most of the gateway's CPU per listing) and loaded Prisma's query compiler into the
 * gateway (~15 MiB) at its first listing. A spec compares its pages with Prisma's.
 * `limit + 1` runs are read, so the caller knows whether a next page exists (toPage).
 */
export async function runPage(
  pool: Pool,
  scope: RunScope,
  query: AllRunsQuery,
  limit: number,
): Promise<RunWithSteps[]> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const utc = (date: Date) => `(${param(date.toISOString())}::timestamptz AT TIME ZONE 'UTC')`;
  const where: string[] = [];
  if ('projectId' in scope) where.push(`project_id = ${param(scope.projectId)}::uuid`);
  else if (scope.projectIds) where.push(`project_id = ANY(${param(scope.projectIds)}::uuid[])`);
  if (query.project_id) where.push(`project_id = ${param(query.project_id)}::uuid`);
  if (query.status) where.push(`status = ANY(${param(query.status)}::"RunStatus"[])`);
  if (query.trigger) where.push(`trigger = ANY(${param(query.trigger)}::"TriggerType"[])`);
  if (query.branch) where.push(`branch = ${param(query.branch)}`);
  if (query.ref) {
    const ref = param(query.ref);
    where.push(`(git_ref = ${ref} OR branch = ${ref} OR tag = ${ref})`);
  }
  if (query.pipeline_id) where.push(`pipeline_id = ${param(query.pipeline_id)}::uuid`);
  if (query.pipeline) {
    where.push(`pipeline_id IN (SELECT id FROM pipelines WHERE name = ${param(query.pipeline)})`);
  }
  if (query.created_from) where.push(`created_at >= ${utc(new Date(query.created_from))}`);
  if (query.created_to) where.push(`created_at < ${utc(new Date(query.created_to))}`);
  if (query.cursor) {
    // As afterCursor: the scan starts at the cursor's time (see there).
    const { createdAt, id } = decodeCursor(query.cursor, isUuid);
    const at = utc(createdAt);
    where.push(`created_at <= ${at} AND (created_at < ${at} OR id < ${param(id)}::uuid)`);
  }
  const { rows: runs } = await pool.query<Run>(
    `SELECT ${RUN_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
  if (runs.length === 0) return [];
  const { rows: steps } = await pool.query<StepRow>({
    name: 'kiln-gateway-page-steps',
    text: `SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ANY($1::uuid[]) ORDER BY position`,
    values: [runs.map((run) => run.id)],
  });
  const byRun = new Map(runs.map((run) => [run.id, [] as RunWithSteps['steps']]));
  for (const step of steps) byRun.get(step.runId)?.push(decodeStep(step));
  return runs.map((run) => ({ ...run, steps: byRun.get(run.id)! }));
}
