import { createGitRepo, finishedWithLogs, Platform, startPlatform, TestGitRepo } from '@kiln/testing';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stepOf } from './support/runs';

const TOKEN = 'tok-3f9a-very-secret-value';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('project secrets in steps', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    repo.commit({ 'README.md': 'secrets\n' });
    ({ id: projectId } = await platform.createProject({ name: 'secrets', repo }));
    const put = await platform.api('PUT', `/api/projects/${projectId}/secrets/API_TOKEN`, { value: TOKEN });
    expect(put.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  it('puts ${{ secrets.NAME }} into the step environment and masks its value in the archived log', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'uses-secret',
      yaml_config: `pipeline:
  steps:
    - name: deploy
      image: node:20
      environment: { TOKEN: "\${{ secrets.API_TOKEN }}", GREETING: hello }
      commands:
        - echo "token is $TOKEN"
        - echo "wrapped[$TOKEN]"
        - echo "$TOKEN" | sha256sum
        - echo "length \${#TOKEN} greeting $GREETING"
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    const run = await platform.waitForRun(projectId, started.id, finishedWithLogs);
    expect(run.status).toBe('succeeded');

    const log = await platform.stepLog(projectId, run, 'deploy');
    // The step saw the real value: its digest and length are in the log.
    expect(log).toContain(createHash('sha256').update(`${TOKEN}\n`).digest('hex'));
    expect(log).toContain(`length ${TOKEN.length} greeting hello`);
    expect(log).toContain('token is ***');
    expect(log).toContain('wrapped[***]');
    expect(log).not.toContain(TOKEN);
    // Nor is it anywhere in the stored objects (the archived logs).
    const stored = filesUnder(platform.dataDir).filter((f) => f.includes(run.id) && f.endsWith('.log'));
    expect(stored.length).toBeGreaterThan(0);
    for (const file of stored) expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
  });

  it('fails a step that references a secret the project does not have, without running it', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'missing-secret',
      yaml_config: `pipeline:
  steps:
    - name: publish
      image: node:20
      environment: { KEY: "\${{ secrets.NOT_THERE }}" }
      commands: ["echo publishing"]
    - { name: announce, image: node:20, depends_on: [publish], commands: ["echo announced"] }
`,
    });
    const started = await platform.startRun(projectId, pipelineId);
    const run = await platform.waitForRun(projectId, started.id);
    expect(run.status).toBe('failed');
    expect(stepOf(run, 'publish')).toMatchObject({
      status: 'failed',
      started_at: null,
      error: 'missing project secrets: NOT_THERE',
    });
    expect(stepOf(run, 'announce')).toMatchObject({ status: 'skipped' });
  });
});
