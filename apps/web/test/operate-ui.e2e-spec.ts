import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { Browser, Locator, Page } from 'playwright-core';
import {
  buildWebUi,
  launchChromium,
  screenshot,
  startTestPlatform,
  tearDown,
  TEARDOWN_MS,
  TestPlatform,
} from './web.harness';

const GATED = `pipeline:
  steps:
    - name: build
      image: node:20
      commands: [echo built]
    - { name: gate, approval: true, depends_on: [build] }
    - name: deploy
      image: node:20
      depends_on: [gate]
      commands: [echo deployed]
`;

const shows = (locator: Locator, timeout = 20_000) => locator.first().waitFor({ state: 'visible', timeout });

/** Approving runs and managing users from the browser, as an operator does. */
describe('operating Kiln in the web UI', () => {
  let platform: TestPlatform;
  let repo: TestGitRepo;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let pipelineId: string;

  const signIn = async (token: string) => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(platform.gateway);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows(page.getByRole('heading', { name: 'Projects' }));
  };
  const openWaitingRun = async () => {
    const run = await platform.startRun(projectId, pipelineId);
    await platform.waitForRun(projectId, run.id, (r) => r.status === 'waiting');
    await page.goto(`${platform.gateway}/#/projects/${projectId}/runs/${run.id}`);
    await shows(page.getByTestId('run-status').getByText('waiting'));
    return run;
  };

  beforeAll(async () => {
    buildWebUi();
    platform = await startTestPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'gated\n' });
    const project = await platform.api<{ id: string }>('POST', '/api/projects', {
      name: 'gated',
      repo_url: repo.url,
      provider: 'git',
    });
    projectId = project.body.id;
    pipelineId = await platform.createPipeline(projectId, { name: 'release', yaml_config: GATED });
    browser = await launchChromium();
  }, 180_000);

  afterAll(() => tearDown({ browser, platform, repo }), TEARDOWN_MS);

  it('approves a waiting approval step: the run goes on and the page says who approved', async () => {
    await signIn(platform.adminToken);
    const run = await openWaitingRun();
    const approvals = page.getByRole('region', { name: 'Approvals' });
    await shows(approvals.getByText('gate waits for approval'));
    await screenshot(page, 'operate-approval-waiting');
    await approvals.getByRole('button', { name: 'Approve' }).click();
    await shows(page.getByTestId('run-status').getByText('succeeded'), 60_000);
    await shows(page.getByTestId('approval-decisions').getByText(/^gate approved by .+/));
    expect((await platform.waitForRun(projectId, run.id)).status).toBe('succeeded');
  });

  it('rejects with a comment, shown as who rejected and why', async () => {
    const run = await openWaitingRun();
    const approvals = page.getByRole('region', { name: 'Approvals' });
    await approvals.getByLabel(/^Comment/).fill('staging is broken');
    await approvals.getByRole('button', { name: 'Reject' }).click();
    await shows(page.getByTestId('run-status').getByText('failed'), 60_000);
    await shows(
      page.getByTestId('approval-decisions').getByText(/^gate rejected by .+: “staging is broken”$/),
    );
    await screenshot(page, 'operate-approval-rejected');
    const finished = await platform.waitForRun(projectId, run.id);
    expect(finished.steps.find((s) => s.name === 'gate')?.error).toMatch(/: staging is broken$/);
  });

  it('reruns the shown step of a finished run in a new run that reuses the step before it', async () => {
    const plain = await platform.createPipeline(projectId, {
      name: 'plain',
      yaml_config: `pipeline:
  steps:
    - { name: build, image: node:20, commands: [echo built] }
    - { name: check, image: node:20, depends_on: [build], commands: [echo checked] }
`,
    });
    const first = await platform.waitForRun(projectId, (await platform.startRun(projectId, plain)).id);
    await page.goto(`${platform.gateway}/#/projects/${projectId}/runs/${first.id}`);
    await shows(page.getByTestId('run-status').getByText('succeeded'));
    await page.getByRole('button', { name: 'Rerun' }).click();
    await page.waitForURL((url) => url.hash.includes('/runs/') && !url.hash.endsWith(first.id));
    const rerunId = /\/runs\/([0-9a-f-]+)$/.exec(new URL(page.url()).hash)?.[1] as string;
    await shows(page.getByTestId('run-status').getByText('succeeded'), 60_000);
    const rerun = await platform.waitForRun(projectId, rerunId);
    expect(rerun.retry_of).toBe(first.id);
    expect(rerun.steps.find((s) => s.name === 'build')?.reused_from).toBe(
      first.steps.find((s) => s.name === 'build')?.id,
    );
    expect(rerun.steps.find((s) => s.name === 'check')?.reused_from).toBeNull();
  });

  it('shows a reader the waiting step without the Approve/Reject control', async () => {
    const reader = await platform.api<{ id: string; token: string }>('POST', '/api/users', {
      name: 'Reader',
      email: 'reader@example.com',
    });
    await platform.api('POST', `/api/projects/${projectId}/members`, {
      user_id: reader.body.id,
      role: 'read',
    });
    await signIn(reader.body.token);
    await openWaitingRun();
    const approvals = page.getByRole('region', { name: 'Approvals' });
    await shows(approvals.getByText(/waits for approval by a project member with write access/));
    expect(await approvals.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  });

  it('disables a user (their token stops working) and deletes one', async () => {
    const created = await platform.api<{ id: string; token: string }>('POST', '/api/users', {
      name: 'Temp',
      email: 'temp@example.com',
    });
    await signIn(platform.adminToken);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    const row = page.getByRole('row', { name: /Temp/ });
    await row.getByRole('button', { name: 'Disable Temp and revoke their tokens' }).click();
    await shows(row.getByRole('cell', { name: 'disabled' }));
    const refused = await platform.api<{ message: string }>('GET', '/api/me', undefined, created.body.token);
    expect(refused).toMatchObject({ status: 401, body: { message: 'the token owner is disabled' } });
    await screenshot(page, 'operate-user-disabled');
    await row.getByRole('button', { name: 'Delete Temp' }).click();
    await page.getByRole('row', { name: /Temp/ }).waitFor({ state: 'detached', timeout: 15_000 });
    expect((await platform.api('GET', `/api/users/${created.body.id}`)).status).toBe(404);
  });
});
