import { MemberRole, Project, Provider } from '@kiln/db';
import { isUUID } from 'class-validator';
import { Pool, PoolClient } from 'pg';

/**
 * A project's row as hand-written statements through the pg pool: the access check behind every
 * project request and project creation. Through Prisma, the first of them loads its WebAssembly
 * query compiler and client into the gateway (~20 MiB at rest, bench/README.md) and compiles each
 * call again. A spec compares these reads and writes with Prisma's.
 *
 * Columns are `timestamp(3)` holding UTC: read `AT TIME ZONE 'UTC'` (a `timestamptz`, the right
 * Date whatever the session's zone) and written from an ISO string the same way.
 */
const utc = (column: string, field: string) => `${column} AT TIME ZONE 'UTC' AS "${field}"`;

const PROJECT_COLUMNS = [
  'id',
  'name',
  'repo_url AS "repoUrl"',
  'repo_full_name AS "repoFullName"',
  'provider',
  'default_branch AS "defaultBranch"',
  'webhook_secret_enc AS "webhookSecretEnc"',
  'concurrency_limit AS "concurrencyLimit"',
  'secrets_for_forks AS "secretsForForks"',
  'public_badge AS "publicBadge"',
  'created_by_id AS "createdById"',
  utc('created_at', 'createdAt'),
  utc('updated_at', 'updatedAt'),
  utc('last_activity_at', 'lastActivityAt'),
].join(', ');

const PROJECT_FOR_MEMBER = {
  name: 'kiln-projects-for-member',
  text: `SELECT ${PROJECT_COLUMNS},
      (SELECT role FROM project_members m WHERE m.project_id = p.id AND m.user_id = $2::uuid) AS "memberRole"
    FROM projects p WHERE p.id = $1::uuid`,
};

/** The project with the user's role on it (null: not a member); null: no such project. */
export async function projectForMember(
  pool: Pool,
  projectId: string,
  userId: string,
): Promise<{ project: Project; memberRole: MemberRole | null } | null> {
  // Not a UUID: no such project (a cast would fail the statement).
  if (!isUUID(projectId)) return null;
  const { rows } = await pool.query<Project & { memberRole: MemberRole | null }>({ ...PROJECT_FOR_MEMBER, values: [projectId, userId] });
  if (!rows[0]) return null;
  const { memberRole, ...project } = rows[0];
  return { project, memberRole };
}

const MEMBER_PROJECT_IDS = {
  name: 'kiln-projects-of-member',
  text: 'SELECT project_id AS "projectId" FROM project_members WHERE user_id = $1::uuid',
};

/** Ids of the projects the user is a member of. */
export async function memberProjectIds(pool: Pool, userId: string): Promise<string[]> {
  return (await pool.query<{ projectId: string }>({ ...MEMBER_PROJECT_IDS, values: [userId] })).rows.map((r) => r.projectId);
}

const PROJECT_ID_BY_NAME = { name: 'kiln-projects-id-by-name', text: 'SELECT id FROM projects WHERE name = $1' };

/** The id of the project named `name`; null: none. */
export async function projectIdByName(pool: Pool, name: string): Promise<string | null> {
  return (await pool.query<{ id: string }>({ ...PROJECT_ID_BY_NAME, values: [name] })).rows[0]?.id ?? null;
}

/** A new project's row as the API takes it. */
export interface NewProjectRow {
  id: string;
  name: string;
  repoUrl: string;
  repoFullName: string | null;
  provider: Provider;
  defaultBranch: string;
  webhookSecretEnc: string;
  createdById: string;
}

/** The name of the `default` pipeline every new project gets, and what it says of itself. */
export const DEFAULT_PIPELINE = { name: 'default', description: 'reads .platform.yaml from the pushed commit' };

/**
 * The project, its creator as admin member and its `default` pipeline (reading `.platform.yaml`
 * from the repository; the schema's defaults for the rest), in one statement.
 */
const INSERT_PROJECT = {
  name: 'kiln-projects-insert',
  text: `WITH project AS (
    INSERT INTO projects (id, name, repo_url, repo_full_name, provider, default_branch, webhook_secret_enc, created_by_id,
      created_at, updated_at)
    VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::"Provider", $6::text, $7::text, $8::uuid,
      $9::timestamptz AT TIME ZONE 'UTC', $9::timestamptz AT TIME ZONE 'UTC')
    RETURNING ${PROJECT_COLUMNS}
  ), member AS (
    INSERT INTO project_members (project_id, user_id, role, created_at)
    SELECT id, $8::uuid, 'admin', $9::timestamptz AT TIME ZONE 'UTC' FROM project
  ), pipeline AS (
    INSERT INTO pipelines (id, project_id, name, description, created_at, updated_at)
    SELECT gen_random_uuid(), id, $10::text, $11::text, $9::timestamptz AT TIME ZONE 'UTC', $9::timestamptz AT TIME ZONE 'UTC'
    FROM project
  )
  SELECT * FROM project`,
};

/**
 * Inserts the project with its creator as admin and its `default` pipeline, on `client` (in the
 * caller's transaction). A name taken meanwhile fails with pg's unique violation (see `isNameClash`).
 */
export async function insertProject(client: PoolClient, row: NewProjectRow, now: Date): Promise<Project> {
  const values = [
    row.id, row.name, row.repoUrl, row.repoFullName, row.provider, row.defaultBranch, row.webhookSecretEnc, row.createdById,
    now.toISOString(), DEFAULT_PIPELINE.name, DEFAULT_PIPELINE.description,
  ];
  return (await client.query<Project>({ ...INSERT_PROJECT, values })).rows[0];
}

/** Whether `error` is PostgreSQL refusing a second project of one name (the unique index decides a race). */
export function isNameClash(error: unknown): boolean {
  const pgError = error as { code?: unknown; constraint?: unknown } | null;
  return typeof pgError === 'object' && pgError !== null && pgError.code === '23505' && pgError.constraint === 'projects_name_key';
}
