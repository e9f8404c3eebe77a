// Run listings of the gateway with 100 000 runs (three steps each) of one project in the
// database, inserted with one generate_series statement: the first page, a page deep down the
// cursor chain, the same two with filters, and the cross-project listing. Baseline for each: the
// hand-written SQL that returns the same rows (the page of runs, then their steps) over one
// connection, so the ratio is what the API (HTTP, auth, validation, Prisma, JSON) adds.
import { Client } from 'pg';
import { encodeCursor } from '../apps/gateway/src/common/pagination';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { Stack, startStack } from './support/stack';
import { round, summarize } from './support/stats';

const RUNS = 100_000;
const REQUESTS = 100;
const WARMUP = 5;
const PAGE = 20;

interface Listing {
  name: string;
  /** Query string of the API call (without cursor). */
  query: string;
  status?: string[];
  branch?: string;
  /** Where in the filtered rows the page starts (0: first page). */
  depth: number;
  allProjects?: boolean;
}

const LISTINGS: Listing[] = [
  { name: 'runs of a project, first page', query: '', depth: 0 },
  { name: 'runs of a project, page at 90 % depth', query: '', depth: 0.9 },
  {
    name: 'failed runs on main, first page',
    query: 'status=failed&branch=main',
    status: ['failed'],
    branch: 'main',
    depth: 0,
  },
  {
    name: 'failed runs on main, page at 90 % depth',
    query: 'status=failed&branch=main',
    status: ['failed'],
    branch: 'main',
    depth: 0.9,
  },
  {
    name: 'failed runs of all projects, first page',
    query: 'status=failed',
    status: ['failed'],
    depth: 0,
    allProjects: true,
  },
];

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 1000);
  const requests = scaled(ctx, REQUESTS, 20);
  const stack = await startStack({ executor: false });
  try {
    const project = await stack.createProject({
      '.platform.yaml': 'pipeline:\n  steps:\n    - { name: build, image: alpine, commands: [true] }\n',
    });
    const started = performance.now();
    await insertRuns(stack.sql, project.id, runs);
    ctx.log(`api-list: ${runs} runs inserted in ${round((performance.now() - started) / 1000)} s`);
    const results: BenchResult[] = [];
    for (const listing of LISTINGS) {
      const cursor = await cursorAt(stack.sql, project.id, listing);
      const path = listing.allProjects ? '/api/runs' : `/api/projects/${project.id}/runs`;
      const query = [listing.query, cursor ? `cursor=${cursor.encoded}` : ''].filter(Boolean).join('&');
      const api = await timed(requests, () => apiPage(stack, `${path}?${query}`));
      const sql = await timed(requests, () =>
        sqlPage(stack.sql, listing.allProjects ? null : project.id, listing, cursor),
      );
      results.push(
        {
          name: `${listing.name}, p50`,
          value: round(api.p50, 2),
          unit: 'ms',
          baseline: { name: 'same rows by hand-written SQL, p50', value: round(sql.p50, 2) },
        },
        {
          name: `${listing.name}, p99`,
          value: round(api.p99, 2),
          unit: 'ms',
          baseline: { name: 'same rows by hand-written SQL, p99', value: round(sql.p99, 2) },
        },
      );
    }
    results[0].note = `${runs} runs, ${runs * 3} steps; ${requests} requests each, one at a time`;
    return results;
  } finally {
    await stack.stop();
  }
}

/** Runs spread over the last weeks: 10 % failed, one in three on feature branches, three steps each. */
async function insertRuns(sql: Client, projectId: string, count: number): Promise<void> {
  const { rows } = await sql.query<{ id: string }>('SELECT id FROM pipelines WHERE project_id = $1', [
    projectId,
  ]);
  await sql.query(
    `INSERT INTO runs (id, project_id, pipeline_id, number, status, trigger, triggered_by, event, git_ref, branch,
                       commit_sha, created_at, started_at, finished_at, last_progress_at)
     SELECT gen_random_uuid(), $1::uuid, $2::uuid, g,
            (CASE WHEN g % 10 = 0 THEN 'failed' WHEN g % 25 = 1 THEN 'cancelled' ELSE 'succeeded' END)::"RunStatus",
            (CASE WHEN g % 7 = 0 THEN 'manual' ELSE 'webhook' END)::"TriggerType",
            'bench', 'push',
            CASE WHEN g % 3 = 0 THEN 'refs/heads/feature-' || g % 50 ELSE 'refs/heads/main' END,
            CASE WHEN g % 3 = 0 THEN 'feature-' || g % 50 ELSE 'main' END,
            md5(g::text) || left(md5((g + 1)::text), 8),
            t.now - ($3 - g) * interval '20 seconds',
            t.now - ($3 - g) * interval '20 seconds' + interval '1 second',
            t.now - ($3 - g) * interval '20 seconds' + interval '40 seconds',
            t.now - ($3 - g) * interval '20 seconds' + interval '40 seconds'
       FROM generate_series(1, $3::int) g, (SELECT timezone('UTC', now()) AS now) t`,
    [projectId, rows[0].id, count],
  );
  await sql.query(
    `INSERT INTO steps (id, run_id, name, position, image, commands, depends_on, status, exit_code,
                        queued_at, started_at, finished_at, duration_ms, log_ref)
     SELECT gen_random_uuid(), r.id, s.name, s.position, 'alpine:3.20', ARRAY['echo ' || s.name], s.needs,
            (CASE WHEN r.status = 'failed' AND s.position = 2 THEN 'failed' ELSE 'succeeded' END)::"StepStatus",
            CASE WHEN r.status = 'failed' AND s.position = 2 THEN 1 ELSE 0 END,
            r.started_at, r.started_at, r.finished_at, 39000,
            'logs/pipelines/' || r.id || '/' || s.name || '.log'
       FROM runs r,
            (VALUES ('build', 0, ARRAY[]::text[]), ('test', 1, ARRAY['build']), ('lint', 2, ARRAY['build'])) AS s(name, position, needs)
      WHERE r.project_id = $1`,
    [projectId],
  );
  await sql.query('ANALYZE runs');
  await sql.query('ANALYZE steps');
}

interface Cursor {
  createdAt: Date;
  id: string;
  encoded: string;
}

/** The next_cursor the API would hand out for the page starting at `depth` of the listing's rows. */
async function cursorAt(sql: Client, projectId: string, listing: Listing): Promise<Cursor | null> {
  if (listing.depth === 0) return null;
  const { where, params } = filterSql(listing.allProjects ? null : projectId, listing, null);
  const { rows: counted } = await sql.query<{ n: string }>(
    `SELECT count(*) AS n FROM runs WHERE ${where}`,
    params,
  );
  const offset = Math.floor(Number(counted[0].n) * listing.depth) - 1;
  // Read as text and parsed as UTC: the column holds UTC without a zone, as Prisma writes it.
  const { rows } = await sql.query<{ created: string; id: string }>(
    `SELECT to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created, id FROM runs WHERE ${where}
      ORDER BY created_at DESC, id DESC OFFSET ${offset} LIMIT 1`,
    params,
  );
  const createdAt = new Date(rows[0].created);
  return { createdAt, id: rows[0].id, encoded: encodeCursor({ createdAt, id: rows[0].id }) };
}

function filterSql(
  projectId: string | null,
  listing: Listing,
  cursor: Cursor | null,
): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (projectId) clauses.push(`project_id = ${param(projectId)}::uuid`);
  if (listing.status) clauses.push(`status = ANY(${param(listing.status)}::"RunStatus"[])`);
  if (listing.branch) clauses.push(`branch = ${param(listing.branch)}`);
  if (cursor) {
    const at = param(cursor.createdAt.toISOString().replace('Z', ''));
    // A row comparison: PostgreSQL starts the index scan at the cursor (issue 20).
    clauses.push(`(created_at, id) < (${at}::timestamp, ${param(cursor.id)}::uuid)`);
  }
  return { where: clauses.length > 0 ? clauses.join(' AND ') : 'true', params };
}

async function sqlPage(
  sql: Client,
  projectId: string | null,
  listing: Listing,
  cursor: Cursor | null,
): Promise<void> {
  const { where, params } = filterSql(projectId, listing, cursor);
  const { rows } = await sql.query<{ id: string }>(
    `SELECT * FROM runs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${PAGE + 1}`,
    params,
  );
  await sql.query('SELECT * FROM steps WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, position', [
    rows.map((r) => r.id),
  ]);
  if (rows.length === 0) throw new Error(`the SQL baseline of ${listing.name} found no runs`);
}

async function apiPage(stack: Stack, path: string): Promise<void> {
  const res = await stack.api<{ items: unknown[] }>('GET', path);
  if (res.status !== 200 || res.body.items.length !== PAGE) {
    throw new Error(
      `GET ${path}: ${res.status}, ${res.body?.items?.length} items: ${JSON.stringify(res.body).slice(0, 300)}`,
    );
  }
}

async function timed(requests: number, call: () => Promise<void>) {
  for (let i = 0; i < WARMUP; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

if (require.main === module) runStandalone(run);
