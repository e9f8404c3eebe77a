import { Platform, startPlatform, TestGitRepo } from '@kiln/testing';
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

/** The bound of each step of `tearDown`, and of the hook that calls it (both steps and some slack). */
const BROWSER_CLOSE_MS = 20_000;
const PLATFORM_STOP_MS = 60_000;
export const TEARDOWN_MS = BROWSER_CLOSE_MS + PLATFORM_STOP_MS + 10_000;

/**
 * Closes the browser, then stops the platform and removes the repository, each step within a bound
 * of its own: one that overran or failed is named in the error (a hook's timeout alone does not say
 * which step hung), and the platform is stopped even when the browser did not close.
 */
export async function tearDown(parts: {
  browser?: Browser;
  platform?: Platform;
  repo?: TestGitRepo;
}): Promise<void> {
  const problems: string[] = [];
  const within = async (what: string, ms: number, step: () => Promise<unknown>) => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>(
      (resolve) => (timer = setTimeout(() => resolve(`did not finish in ${ms / 1000} s`), ms)),
    );
    const done = step().then(
      () => undefined,
      (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    const problem = await Promise.race([done, late]).finally(() => clearTimeout(timer));
    if (problem) problems.push(`${what} ${problem}`);
    else if (Date.now() - started > ms / 2)
      process.stderr.write(`teardown: ${what} took ${Date.now() - started} ms\n`);
  };
  await within('closing the browser', BROWSER_CLOSE_MS, async () => parts.browser?.close());
  await within('stopping the platform', PLATFORM_STOP_MS, async () => parts.platform?.stop());
  parts.repo?.remove();
  if (problems.length > 0) throw new Error(`teardown: ${problems.join('; ')}`);
}

/** Saves the page as a test artifact; `fullPage: false` for pages too tall to render at once (a 2 MB log). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}

/**
 * The id of the focused element once it is `id`, or whatever has the focus after 5 s: a form
 * focuses its first bad field on the next animation frame, after its problems are shown.
 */
export async function focusedId(page: Page, id: string): Promise<string | undefined> {
  await page
    .waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5_000 })
    .catch(() => undefined);
  return page.evaluate(() => document.activeElement?.id);
}
