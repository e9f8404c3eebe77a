import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { readFileSync } from 'node:fs';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  buildWebUi,
  launchChromium,
  screenshot,
  startTestPlatform,
  tearDown,
  TEARDOWN_MS,
  TestPlatform,
} from './web.harness';

const CI = `pipeline:
  steps:
    - name: compile
      image: node:20
      commands:
        - printf '\\033[32mcompiled\\033[0m ok\\n'
        - mkdir -p out && echo "report for $COMMIT_BRANCH" > out/report.txt
    - name: test
      image: node:20
      depends_on: [compile]
      commands: [echo "tests passed"]
  artifacts:
    - { name: report, path: out/ }
`;

const SLOW = `pipeline:
  steps:
    - name: prepare
      image: node:20
      commands: [echo ready]
    - name: slow
      image: node:20
      depends_on: [prepare]
      commands:
        - 'for i in $(seq 1 30); do echo line $i; sleep 0.5; done'
`;

/** Waits until the locator shows (the UI updates live, so no reloads are needed). */
const shows = (locator: Locator, timeout = 15_000) => locator.first().waitFor({ state: 'visible', timeout });
const showsText = (locator: Locator, text: string | RegExp, timeout = 15_000) =>
  shows(locator.filter({ hasText: text }), timeout);

/** About 3 MB of log: 30,000 lines of 100 characters. */
const BIG = `pipeline:
  steps:
    - name: noisy
      image: node:20
      commands:
        - "head -c 3000000 /dev/zero | tr '\\\\0' x | fold -w 100"
`;

interface RunJson {
  id: string;
  number: number;
  status: string;
}

describe('the web UI in a real browser', () => {
  let platform: TestPlatform;
  let repo: TestGitRepo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let projectId: string;
  const pipelineIds: Record<string, string> = {};
  let finishedCi: RunJson;

  const startRun = async (pipeline: string) => {
    const res = await platform.api<RunJson>(
      'POST',
      `/api/projects/${projectId}/pipelines/${pipelineIds[pipeline]}/runs`,
      { git_ref: 'main' },
    );
    return res.body;
  };
  const waitForRun = async (id: string, until: (r: RunJson) => boolean) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await platform.api<RunJson>('GET', `/api/projects/${projectId}/runs/${id}`);
      if (res.status === 200 && until(res.body)) return res.body;
      if (Date.now() > deadline) throw new Error(`run ${id} stuck at ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  async function signIn(token: string): Promise<void> {
    await page.goto(platform.gateway);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    buildWebUi();
    platform = await startTestPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'web demo\n' });
    const project = await platform.api<{ id: string }>('POST', '/api/projects', {
      name: 'webdemo',
      repo_url: repo.url,
      provider: 'git',
    });
    projectId = project.body.id;
    for (const [name, yaml] of Object.entries({ ci: CI, slow: SLOW, big: BIG })) {
      const res = await platform.api<{ id: string }>('POST', `/api/projects/${projectId}/pipelines`, {
        name,
        yaml_config: yaml,
      });
      pipelineIds[name] = res.body.id;
    }
    finishedCi = await waitForRun((await startRun('ci')).id, (r) => r.status === 'succeeded');
    browser = await launchChromium();
  }, 180_000);

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    page = await context.newPage();
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(() => tearDown({ browser, platform, repo }), TEARDOWN_MS);

  it('signs in with a token, refusing a wrong one, and lists the projects', async () => {
    await page.goto(platform.gateway);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API token').fill('kiln_wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await showsText(page.getByRole('alert'), 'does not accept this token');
    await page.getByLabel('API token').fill(platform.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows(page.getByRole('heading', { name: 'Projects' }));
    await shows(page.getByRole('link', { name: 'webdemo' }));
    await screenshot(page, 'projects');
    await page.reload();
    await shows(page.getByRole('link', { name: 'webdemo' }));
  });

  it('opens a run from the project, watches the running step log grow live, and cancels it', async () => {
    const run = await waitForRun((await startRun('slow')).id, (r) => r.status === 'running');
    await signIn(platform.adminToken);
    await page.getByRole('link', { name: 'webdemo' }).click();
    await page.getByRole('link', { name: `#${run.number}`, exact: true }).click();
    await shows(page.getByRole('heading', { name: /Run #\d+/ }));
    const log = page.getByTestId('log');
    await shows(page.getByRole('heading', { name: 'Log: slow' }), 20_000);
    await showsText(log, 'line 3', 20_000);
    // The step prints a line every 0.5 s: whatever the page showed first, more arrives without a reload.
    const lastLine = async () =>
      Math.max(0, ...[...(await log.innerText()).matchAll(/line (\d+)/g)].map((m) => Number(m[1])));
    const early = await lastLine();
    expect(early).toBeLessThan(30);
    await showsText(log, `line ${early + 1}`, 20_000);
    await screenshot(page, 'run-live-log');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await showsText(page.getByTestId('run-status'), 'cancelled', 20_000);
    await shows(page.getByRole('button', { name: /^slow: cancelled/ }));
    await shows(page.getByRole('button', { name: 'Retry', exact: true }));
    expect(await log.innerText()).not.toContain('line 30');
    await screenshot(page, 'run-cancelled');
  });

  it("shows a finished run's step graph, coloured log, and downloads its artifact", async () => {
    await signIn(platform.adminToken);
    await shows(page.getByRole('heading', { name: 'Projects' }));
    await page.goto(`${platform.gateway}/#/projects/${projectId}/runs/${finishedCi.id}`);
    await shows(page.getByRole('button', { name: /^compile: succeeded/ }));
    await shows(page.getByRole('button', { name: /^test: succeeded, .*after compile/ }));
    await page.getByRole('button', { name: /^compile: succeeded/ }).click();
    const log = page.getByTestId('log');
    await showsText(log, 'compiled ok');
    expect(await log.locator('.ansi-green-fg').innerText()).toBe('compiled');

    const download = page.getByRole('button', { name: 'Download report.txt' });
    await shows(download, 20_000);
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toBe('report.txt');
    expect(readFileSync(await file.path(), 'utf8')).toBe('report for main\n');
    await screenshot(page, 'run-finished');
  });

  it("shows the run's commit message, author and pull request in its header", async () => {
    await platform.query(
      'UPDATE runs SET commit_message = $2, commit_author = $3, pull_request_url = $4 WHERE id = $1',
      [
        finishedCi.id,
        'Fix the widget\n\nThe longer story.',
        'Mona Lisa',
        'https://github.com/acme/web/pull/7',
      ],
    );
    await signIn(platform.adminToken);
    await shows(page.getByRole('heading', { name: 'Projects' }));
    await page.goto(`${platform.gateway}/#/projects/${projectId}/runs/${finishedCi.id}`);
    const message = page.getByTestId('commit-message');
    await showsText(message, 'Fix the widget');
    expect(await message.innerText()).not.toContain('longer story');
    await showsText(page.getByTestId('commit-author'), 'Mona Lisa');
    const link = page.getByRole('link', { name: '#7' });
    await shows(link);
    expect(await link.getAttribute('href')).toBe('https://github.com/acme/web/pull/7');
    await screenshot(page, 'run-commit');
  });

  it('shows the first 2 MB of a bigger log and offers the whole log as a download', async () => {
    const run = await waitForRun((await startRun('big')).id, (r) => r.status === 'succeeded');
    await signIn(platform.adminToken);
    await shows(page.getByRole('heading', { name: 'Projects' }));
    await page.goto(`${platform.gateway}/#/projects/${projectId}/runs/${run.id}`);
    await showsText(
      page.getByRole('status'),
      'bigger than 2.0 MB (2.9 MB): only its beginning is shown',
      30_000,
    );
    const shown = (await page.getByTestId('log').innerText()).split('\n').filter(Boolean).length;
    expect(shown).toBeGreaterThan(20_000);
    expect(shown).toBeLessThan(30_000);
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download log' }).click(),
    ]);
    expect(file.suggestedFilename()).toBe(`run-${run.number}-noisy.log`);
    expect(
      readFileSync(await file.path(), 'utf8')
        .split('\n')
        .filter((l) => l === 'x'.repeat(100)),
    ).toHaveLength(30_000);
    await screenshot(page, 'run-big-log', { fullPage: false });
  }, 90_000);

  it("filters a project's runs by status", async () => {
    await signIn(platform.adminToken);
    await page.getByRole('link', { name: 'webdemo' }).click();
    await page.getByLabel('Status').selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    // The list is replaced when the filtered page arrives: wait for the whole table, not for
    // rows that may belong to the unfiltered list.
    await page.waitForFunction(
      `(() => {
        const rows = [...document.querySelectorAll('tbody tr')];
        return rows.length > 0 && rows.every((row) => row.textContent.includes('succeeded'));
      })()`,
      undefined,
      { timeout: 15_000 },
    );
    await screenshot(page, 'runs-filtered');
  });

  it('lists the runners', async () => {
    await signIn(platform.adminToken);
    await page.getByRole('link', { name: 'Runners' }).click();
    await shows(page.getByRole('cell', { name: 'local' }));
    await shows(page.getByText('online'));
    await screenshot(page, 'runners');
  });
});
