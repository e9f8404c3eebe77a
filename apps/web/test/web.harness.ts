import { Platform, startPlatform } from '@kiln/testing';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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

export type TestPlatform = Platform & { gateway: string };

/** All six apps as real processes (from dist/) on a fresh database, NATS prefix and data directory. */
export async function startTestPlatform(): Promise<TestPlatform> {
  const platform = await startPlatform({ KILN_WEB_DIR: join(repoRoot, 'apps/web/dist') });
  return { ...platform, gateway: platform.apps.url('gateway') };
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

/** Saves the page as a test artifact; `fullPage: false` for pages too tall to render at once (a 2 MB log). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}
