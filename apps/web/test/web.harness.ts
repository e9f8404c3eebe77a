import { generateApiToken, generateKey } from '@kiln/crypto';
import { APP_NAMES, createTestDatabase, RunningApps, startApps, uniqueNatsPrefix } from '@kiln/testing';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

const repoRoot = resolve(__dirname, '../../..');
export const SCREENSHOTS = join(repoRoot, 'tmp/screenshots');

/** Builds the UI into apps/web/dist (what the gateway serves), so the test sees the current code. */
export function buildWebUi(): void {
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'apps/web/vite.config.mts',
      '--logLevel',
      'error',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
      stdio: 'pipe',
    },
  );
}

export interface TestPlatform {
  apps: RunningApps;
  gateway: string;
  adminToken: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** All six apps as real processes (from dist/) on a fresh database, NATS prefix and data directory. */
export async function startTestPlatform(): Promise<TestPlatform> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-web-e2e-'));
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
    KILN_WEB_DIR: join(repoRoot, 'apps/web/dist'),
  }).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  const gateway = apps.url('gateway');
  return {
    apps,
    gateway,
    adminToken,
    async api(method, path, body) {
      const res = await fetch(`${gateway}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await apps.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless (never a downloaded browser: the machine may be offline). */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
