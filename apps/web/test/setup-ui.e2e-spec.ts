import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  buildWebUi,
  focusedId,
  launchChromium,
  screenshot,
  startTestPlatform,
  tearDown,
  TEARDOWN_MS,
  TestPlatform,
} from './web.harness';

const BROKEN = `pipeline:
  steps:
    - name: compile
      image: node:20
      commands: [echo compiled]
    - name: test
      image: node:20
      depends_on: [compyle]
      commands: [echo "tests passed with $GREETING"]
`;
const FIXED = BROKEN.replace('[compyle]', '[compile]');

const shows = (locator: Locator, timeout = 15_000) => locator.first().waitFor({ state: 'visible', timeout });
const showsText = (locator: Locator, text: string | RegExp, timeout = 15_000) =>
  shows(locator.filter({ hasText: text }), timeout);

/** Setting Kiln up from the browser alone, as a new user does: nothing below goes through the API. */
describe('setting up and operating Kiln in the web UI', () => {
  let platform: TestPlatform;
  let repo: TestGitRepo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const mainNav = () => page.getByRole('navigation', { name: 'Main' });
  const tab = (name: string) => page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name });
  const signIn = async (token: string) => {
    await page.goto(platform.gateway);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows(page.getByRole('heading', { name: 'Projects' }));
  };
  const openContext = async () => {
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  };

  beforeAll(async () => {
    buildWebUi();
    platform = await startTestPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'shop\n' });
    // A project the new member must not see.
    await platform.api('POST', '/api/projects', { name: 'other', repo_url: repo.url, provider: 'git' });
    browser = await launchChromium();
    await openContext();
  }, 180_000);

  // Closing the browser closes its contexts.
  afterAll(() => tearDown({ browser, platform, repo }), TEARDOWN_MS);

  it('creates a project, refusing bad fields beside each field, and shows the webhook wiring once', async () => {
    await signIn(platform.adminToken);
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Shop Front');
    await page.getByRole('button', { name: 'Create project' }).click();
    const name = page.getByLabel('Name', { exact: true });
    await showsText(page.locator('#project-name-problem'), 'name must be at most 63 lowercase letters');
    await showsText(page.locator('#project-repo_url-problem'), 'repo_url must not be empty');
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await focusedId(page, 'project-name')).toBe('project-name');
    await screenshot(page, 'setup-project-errors');

    await name.fill('shop');
    await page.getByLabel('Repository URL').fill(repo.url);
    await page.getByLabel('Provider', { exact: true }).selectOption('github');
    await page.getByLabel('Repository name at the provider (optional)').fill('acme/shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await shows(page.getByRole('heading', { name: 'Project shop created' }));
    expect(await page.getByTestId('webhook-url').innerText()).toMatch(/^http:\/\/.+\/webhooks\/github$/);
    expect((await page.getByTestId('webhook-secret').innerText()).length).toBeGreaterThanOrEqual(20);
    await shows(page.getByRole('heading', { name: 'Connect GitHub' }));
    await screenshot(page, 'setup-project-created');
  });

  it('adds a pipeline: the editor marks the error at its line and column, the fix saves', async () => {
    await page.getByRole('link', { name: 'Add a pipeline' }).click();
    await page.getByLabel('Name', { exact: true }).fill('build');
    const editor = page.getByLabel('Definition (.platform.yaml)');
    await editor.fill(BROKEN);
    const lint = page.getByTestId('lint');
    await showsText(lint.getByRole('listitem'), /compyle/);
    expect(await lint.getByRole('button').first().innerText()).toMatch(/^Line \d+, column \d+$/);
    await shows(page.locator('.gutter-bad'));
    await screenshot(page, 'setup-pipeline-error');

    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await showsText(page.locator('#pipeline-yaml_config-problem'), 'compyle');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');

    await editor.fill(FIXED);
    await showsText(lint, 'Valid: 2 steps (compile → test)');
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    await shows(page.getByRole('heading', { name: 'Pipeline build' }));
    await screenshot(page, 'setup-pipeline-saved');
  });

  it('adds a secret with the keyboard alone, focus visible on each control', async () => {
    await mainNav().getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    await tab('Settings').click();
    await shows(page.getByRole('heading', { name: 'Secrets' }));
    await page.locator('#secret-name').focus();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret-name');
    await page.keyboard.type('GREETING');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret-value');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.type('hello-from-a-secret');
    await page.keyboard.press('Enter');
    await shows(page.getByRole('list', { name: 'Secrets' }).getByText('GREETING'));
    await screenshot(page, 'setup-secret');
  });

  it('starts a run of the new pipeline at a branch with a variable and watches it finish live', async () => {
    await tab('Runs').click();
    await page.getByText('Start a run', { exact: true }).click();
    await page.getByLabel('Pipeline').selectOption({ label: 'build' });
    await page.getByLabel('Branch, tag or commit').fill('main');
    const variables = page.getByLabel('Variables (optional)');
    await variables.fill('1GREETING=hi');
    await page.getByRole('button', { name: 'Start run' }).click();
    await showsText(page.locator('#start-variables-problem'), '"1GREETING" is not a valid variable name');
    expect(await focusedId(page, 'start-variables')).toBe('start-variables');
    await screenshot(page, 'setup-run-variable-error');
    await variables.fill('GREETING=a variable from the form');
    await page.getByRole('button', { name: 'Start run' }).click();
    await shows(page.getByRole('heading', { name: /Run #\d+ build/ }));
    await showsText(page.getByTestId('run-status'), 'succeeded', 60_000);
    await shows(page.getByRole('button', { name: /^test: succeeded/ }));
    await page.getByRole('button', { name: /^test: succeeded/ }).click();
    await showsText(page.getByTestId('log'), 'tests passed with a variable from the form');
    // Each line shows the time it was read, beside its number and outside the text.
    const time = await page.getByTestId('log').locator('.log-time').first().getAttribute('data-time');
    expect(time).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(await page.getByTestId('log').innerText()).not.toContain(time!);
    await showsText(page.getByTestId('artifacts-empty'), 'This run stored no artifacts.');
    await page.getByLabel('Search the log').fill('TESTS PASSED');
    await showsText(page.getByTestId('log-matches'), /^1 of \d+ lines$/);
    await shows(page.locator('.log-current'));
    // A run that ended: nothing left to follow, nothing to retry step by step.
    expect(await page.getByText('Follow the running step again').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry failed steps' }).count()).toBe(0);
    await screenshot(page, 'setup-run-finished');
  });

  it('shows the log times of an archived run, as for a live one, after a reload', async () => {
    await page.reload();
    await page.getByRole('button', { name: /^test: succeeded/ }).click();
    await showsText(page.getByTestId('log'), 'tests passed with a variable from the form');
    const times = await page
      .getByTestId('log')
      .locator('.log-time')
      .evaluateAll((els) =>
        els.map((el) => ({ time: el.getAttribute('data-time'), iso: el.getAttribute('title') })),
      );
    expect(times.length).toBeGreaterThan(0);
    for (const { time, iso } of times) {
      expect(time).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      expect(Date.now() - Date.parse(iso!)).toBeLessThan(10 * 60_000);
    }
  });

  it('makes the status badge public and shows its address and Markdown for a pipeline and branch', async () => {
    await mainNav().getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    await tab('Settings').click();
    await shows(page.getByRole('heading', { name: 'Status badge' }));
    await showsText(page.getByTestId('badge-visibility'), 'Only signed-in clients see the badge');
    await page.getByLabel('Public status badge', { exact: false }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await showsText(page.getByRole('status'), 'Settings saved.');
    await showsText(page.getByTestId('badge-visibility'), 'Anyone with the address sees the badge');
    await page.getByLabel('Pipeline', { exact: true }).selectOption({ label: 'build' });
    await page.getByLabel('Branch', { exact: true }).fill('main');
    const url = (await page.getByTestId('badge-url').innerText()).replace(/\s*Copy$/, '').trim();
    expect(url).toMatch(/\/api\/projects\/[0-9a-f-]{36}\/badge\.svg\?pipeline=build&branch=main$/);
    expect(await page.getByTestId('badge-markdown').innerText()).toContain(`[![shop status](${url})](`);
    // Public: fetched without a token it is the latest run's status.
    const badge = await fetch(url);
    expect(badge.status).toBe(200);
    expect(await badge.text()).toContain('succeeded');
    await page.getByTestId('badge-preview').evaluate((img: HTMLImageElement) => img.decode());
    await screenshot(page, 'setup-badge');
  });

  it('names the reason of a timed-out step on its graph node', async () => {
    const project = (
      await platform.api<{ items: { id: string; name: string }[] }>('GET', '/api/projects')
    ).body.items.find((p) => p.name === 'shop')!;
    const pipelineId = await platform.createPipeline(project.id, {
      name: 'slow',
      yaml_config:
        'pipeline:\n  steps:\n    - name: hang\n      image: node:20\n      timeout: 1s\n      commands: [sleep 30]\n',
    });
    const run = await platform.startRun(project.id, pipelineId, 'main');
    await page.goto(`${platform.gateway}/#/projects/${project.id}/runs/${run.id}`);
    await showsText(page.getByTestId('run-status'), 'failed', 30_000);
    const node = page.getByRole('button', { name: /^hang: failed/ });
    await showsText(node, /timed out after 1s/);
    await screenshot(page, 'setup-run-timed-out');
  });

  it('creates a user, adds them as a member, and they see only that project', async () => {
    await mainNav().getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Bea Reader');
    await page.getByLabel('Email').fill('bea@example.com');
    await page.getByRole('button', { name: 'Create user' }).click();
    const token = await page.getByTestId('new-user-token').innerText();
    await shows(page.getByRole('cell', { name: 'bea@example.com' }));
    await screenshot(page, 'setup-user-created');

    await mainNav().getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    await tab('Settings').click();
    await page.getByLabel('User', { exact: true }).selectOption({ label: 'Bea Reader (bea@example.com)' });
    await page.getByLabel('Role', { exact: true }).selectOption('read');
    await page.getByRole('button', { name: 'Add member' }).click();
    await shows(page.getByRole('rowheader', { name: 'Bea Reader' }));
    await screenshot(page, 'setup-member-added');

    await context.close();
    await openContext();
    await signIn(token);
    await shows(page.getByRole('link', { name: 'shop', exact: true }));
    expect(await page.getByRole('link', { name: 'other', exact: true }).count()).toBe(0);
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    await shows(page.getByRole('link', { name: /^#\d+$/ }));
    // A reader starts nothing and changes nothing.
    expect(await page.getByText('Start a run', { exact: true }).count()).toBe(0);
    await screenshot(page, 'setup-member-view');
  });
});
