import { generateApiToken, generateKey } from '@kiln/crypto';
import { isTerminalRun } from '@kiln/engine';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { APP_NAMES, AppName, RunningApps, startApps } from './apps';
import { createTestDatabase } from './database';
import { githubHeaders } from './github-headers';
import { TestGitRepo } from './git-repo';
import { uniqueNatsPrefix } from './names';

export interface StepJson {
  id: string;
  name: string;
  status: string;
  exit_code: number | null;
  depends_on: string[];
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  log_ref: string | null;
  image: string;
  attempt: number;
  error: string | null;
  reused_from: string | null;
}

export interface RunJson {
  id: string;
  number: number;
  pipeline_id: string;
  status: string;
  trigger: string;
  triggered_by: string;
  git_ref: string;
  branch: string | null;
  error: string | null;
  commit_sha: string | null;
  retry_of: string | null;
  queue_position?: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  steps: StepJson[];
}

export interface ProjectInput {
  name: string;
  repo: TestGitRepo;
  provider?: 'github' | 'gitlab' | 'git';
  /** The provider's `owner/name`; webhooks and commit statuses use it. */
  fullName?: string;
  webhookSecret?: string;
}

export interface PipelineInput {
  name: string;
  yaml_config?: string;
  config_path?: string;
  cancel_previous?: boolean;
}

export interface Platform {
  apps: RunningApps;
  adminToken: string;
  dataDir: string;
  databaseUrl: string;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  text(path: string, token?: string): Promise<{ status: number; text: string }>;
  pushToGithub(
    payload: object,
    secret: string,
    deliveryId: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  waitForRun(
    projectId: string,
    runId: string,
    until?: (run: RunJson) => boolean,
    timeoutMs?: number,
  ): Promise<RunJson>;
  /**
   * The run a webhook delivery started, by its answer's `delivery_record_id`: a pipeline read from
   * the repository is answered `pending_filter`, and its run exists once the scheduler read the file.
   */
  runOfDelivery(deliveryRecordId: string, timeoutMs?: number): Promise<string>;
  /** Creates a project on `repo`; its `default` pipeline reads `.platform.yaml` from each commit. */
  createProject(input: ProjectInput): Promise<{ id: string; defaultPipelineId: string }>;
  /** Creates a pipeline (inline when `yaml_config` is given) and answers its id. */
  createPipeline(projectId: string, input: PipelineInput): Promise<string>;
  /** Starts a manual run through the API and answers the run as first seen. */
  startRun(projectId: string, pipelineId: string, gitRef?: string): Promise<RunJson>;
  /** The archived (or, while it runs, current) log text of one step of a run. */
  stepLog(projectId: string, run: RunJson, stepName: string): Promise<string>;
  /** A query on the platform's database, for rows no API shows. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export { TERMINAL_RUN_STATUSES } from '@kiln/engine';

/**
 * A run is over for a test once it is terminal and every step that ran on an executor has its
 * archived log. A decided approval step never has one: it has no image, and the person's decision
 * sets its start and end to the same instant (an executor's step always takes time).
 */
export function finishedWithLogs(run: RunJson): boolean {
  const decidedApproval = (s: StepJson) =>
    s.image === '' && s.started_at !== null && s.started_at === s.finished_at && s.duration_ms === 0;
  return (
    isTerminalRun(run.status) &&
    run.steps.every((s) => s.started_at === null || s.log_ref !== null || decidedApproval(s))
  );
}

/** A GitHub push payload for `sha` on `branch` of `repo`, as the webhook-receiver expects it. */
export function githubPushPayload(repo: TestGitRepo, fullName: string, sha: string, branch = 'main') {
  const name = fullName.split('/')[1];
  return {
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    repository: {
      id: 1,
      name,
      full_name: fullName,
      clone_url: repo.url,
      html_url: repo.url,
      default_branch: 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 1 },
    head_commit: { id: sha, message: 'change', timestamp: new Date().toISOString() },
    commits: [{ id: sha, message: 'change' }],
  };
}

/**
 * All six apps as real processes on a fresh database, NATS prefix and data directory.
 * `env` overrides or adds variables for every app (e.g. shorter timeouts); `appEnv` for one app.
 */
export async function startPlatform(
  env: Record<string, string> = {},
  appEnv: Partial<Record<AppName, Record<string, string>>> = {},
): Promise<Platform> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
  const adminToken = generateApiToken();
  const apps = await startApps(
    APP_NAMES,
    {
      DATABASE_URL: db.url,
      NATS_URL: process.env.NATS_URL ?? '',
      KILN_NATS_PREFIX: uniqueNatsPrefix(),
      KILN_DATA_DIR: dataDir,
      KILN_SECRET_KEY: generateKey(),
      KILN_ADMIN_TOKEN: adminToken,
      KILN_ALLOW_LOCAL_REPOS: 'true',
      // createGitRepo makes its repositories there.
      KILN_LOCAL_REPO_ROOTS: tmpdir(),
      KILN_STORAGE_DRIVER: 'fs',
      KILN_SANDBOX_NETWORK: 'false',
      ...env,
    },
    { appEnv },
  );
  const gateway = apps.url('gateway');
  // The database the apps use: `env` may point them at another server (the chaos suite does).
  const databaseUrl = env.DATABASE_URL ?? db.url;
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  // An idle client sees its connection cut when a test stops the database; the pool replaces it.
  pool.on('error', () => undefined);

  const api: Platform['api'] = async (method, path, body, token = adminToken) => {
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const expectStatus = <T>(what: string, res: { status: number; body: T }, ...ok: number[]): T => {
    if (!ok.includes(res.status))
      throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const text: Platform['text'] = async (path, token = adminToken) => {
    const res = await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };

  const waitForRun: Platform['waitForRun'] = async (
    projectId,
    runId,
    until = (run) => isTerminalRun(run.status),
    timeoutMs = 60_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const res = await api<RunJson>('GET', `/api/projects/${projectId}/runs/${runId}`);
      last = res.body;
      if (res.status === 200 && until(res.body)) return res.body;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`run ${runId} did not get there in time; last seen: ${JSON.stringify(last)}`);
  };

  return {
    apps,
    adminToken,
    dataDir,
    databaseUrl,
    api,
    text,
    waitForRun,
    async pushToGithub(payload, secret, deliveryId) {
      const body = JSON.stringify(payload);
      const res = await fetch(`${apps.url('webhook-receiver')}/webhooks/github`, {
        method: 'POST',
        headers: githubHeaders('push', body, secret, deliveryId),
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async runOfDelivery(deliveryRecordId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { rows } = await pool.query<{ id: string }>('SELECT id FROM runs WHERE delivery_id = $1 LIMIT 1', [
          deliveryRecordId,
        ]);
        if (rows[0]) return rows[0].id;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`delivery ${deliveryRecordId} started no run in time`);
    },
    async createProject(input) {
      const project = expectStatus(
        'POST /api/projects',
        await api<{ id: string }>('POST', '/api/projects', {
          name: input.name,
          repo_url: input.repo.url,
          repo_full_name: input.fullName ?? `acme/${input.name}`,
          provider: input.provider ?? 'github',
          ...(input.webhookSecret ? { webhook_secret: input.webhookSecret } : {}),
        }),
        201,
      );
      const pipelines = expectStatus(
        'GET pipelines',
        await api<{ items: { id: string; name: string }[] }>('GET', `/api/projects/${project.id}/pipelines`),
        200,
      );
      const defaultPipeline = pipelines.items.find((p) => p.name === 'default');
      if (!defaultPipeline) throw new Error(`project ${project.id} has no default pipeline`);
      return { id: project.id, defaultPipelineId: defaultPipeline.id };
    },
    async createPipeline(projectId, input) {
      const res = await api<{ id: string }>('POST', `/api/projects/${projectId}/pipelines`, input);
      return expectStatus('POST pipelines', res, 201).id;
    },
    async startRun(projectId, pipelineId, gitRef = 'main') {
      const res = await api<RunJson>('POST', `/api/projects/${projectId}/pipelines/${pipelineId}/runs`, {
        git_ref: gitRef,
      });
      const run = expectStatus('POST runs', res, 201, 202);
      return res.status === 201 ? run : waitForRun(projectId, run.id, () => true);
    },
    async stepLog(projectId, run, stepName) {
      const step = run.steps.find((s) => s.name === stepName);
      if (!step) throw new Error(`run ${run.id} has no step ${stepName}`);
      const res = await text(`/api/projects/${projectId}/runs/${run.id}/steps/${step.id}/logs`);
      if (res.status !== 200) throw new Error(`log of ${stepName} answered ${res.status}: ${res.text}`);
      return res.text;
    },
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async stop() {
      await pool.end();
      await apps.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
