import { generateApiToken, generateKey, hmacSha256Hex } from '@kiln/crypto';
import { APP_NAMES, createTestDatabase, RunningApps, startApps, uniqueNatsPrefix } from '@kiln/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Platform {
  apps: RunningApps;
  adminToken: string;
  dataDir: string;
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  text(path: string, token?: string): Promise<{ status: number; text: string }>;
  pushToGithub(payload: object, secret: string, deliveryId: string): Promise<{ status: number; body: Record<string, unknown> }>;
  waitForRun(projectId: string, runId: string, until?: (run: RunJson) => boolean): Promise<RunJson>;
  stop(): Promise<void>;
}

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
}

export interface RunJson {
  id: string;
  number: number;
  status: string;
  error: string | null;
  commit_sha: string | null;
  steps: StepJson[];
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** All six apps as real processes on a fresh database, NATS prefix and data directory. */
export async function startPlatform(env: Record<string, string> = {}): Promise<Platform> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
  const adminToken = generateApiToken();
  const apps = await startApps(APP_NAMES, {
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL ?? '',
    KILN_NATS_PREFIX: uniqueNatsPrefix(),
    KILN_DATA_DIR: dataDir,
    KILN_SECRET_KEY: generateKey(),
    KILN_ADMIN_TOKEN: adminToken,
    KILN_ALLOW_LOCAL_REPOS: 'true',
    KILN_STORAGE_DRIVER: 'fs',
    KILN_SANDBOX_NETWORK: 'false',
    ...env,
  });
  const gateway = apps.url('gateway');

  const api: Platform['api'] = async (method, path, body, token = adminToken) => {
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    apps,
    adminToken,
    dataDir,
    api,
    async text(path, token = adminToken) {
      const res = await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, text: await res.text() };
    },
    async pushToGithub(payload, secret, deliveryId) {
      const body = JSON.stringify(payload);
      const res = await fetch(`${apps.url('webhook-receiver')}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': deliveryId,
          'x-hub-signature-256': `sha256=${hmacSha256Hex(secret, body)}`,
        },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async waitForRun(projectId, runId, until = (run) => TERMINAL.includes(run.status)) {
      const deadline = Date.now() + 60_000;
      let last: unknown;
      while (Date.now() < deadline) {
        const res = await api<RunJson>('GET', `/api/projects/${projectId}/runs/${runId}`);
        last = res.body;
        if (res.status === 200 && until(res.body)) return res.body;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`run ${runId} did not get there in time; last seen: ${JSON.stringify(last)}`);
    },
    async stop() {
      await apps.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
