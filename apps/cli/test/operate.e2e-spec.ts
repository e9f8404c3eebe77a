import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { KilnCli, startTestPlatform, TestPlatform } from './cli.harness';

describe('operating a project with the kiln CLI', () => {
  let platform: TestPlatform;
  let cli: KilnCli;
  let repo: TestGitRepo;
  let sha: string;
  let projectId: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    cli = new KilnCli({ KILN_SERVER: platform.gateway, KILN_TOKEN: platform.adminToken });
    repo = createGitRepo();
    sha = repo.commit({
      '.platform.yaml': 'pipeline:\n  steps:\n    - { name: hello, image: node:20, commands: [echo hello] }\n',
    });
    const project = await platform.createProject({ name: 'ops', repo, fullName: 'acme/ops', webhookSecret: 'ops-secret-123' });
    projectId = project.id;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
    cli?.remove();
  });

  describe('kiln hook test', () => {
    it('sends a signed push of the default branch head and exits 0 on the 202, starting a run', async () => {
      const result = await cli.run(['hook', 'test', 'ops'], { env: { KILN_WEBHOOK_SECRET: 'ops-secret-123' } });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Sent a signed push of main at [0-9a-f]{7} to http:\/\/.+\/webhooks\/github/m);
      expect(result.stdout).toMatch(/^Receiver answered 202 accepted: /m);
      const runId = /^ {2}run (\S+) of pipeline/m.exec(result.stdout)?.[1];
      const run = await platform.waitForRun(projectId, runId!);
      expect(run.commit_sha).toBe(sha);
    });

    it('is not taken for a replay when sent again', async () => {
      const result = await cli.run(['hook', 'test', 'ops', '--secret', 'ops-secret-123', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'accepted', replayed: false });
    });

    it('exits 3 with the receiver answer when the secret is wrong, and 2 without one', async () => {
      const wrong = await cli.run(['hook', 'test', 'ops', '--secret', 'not-the-secret']);
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/webhook receiver answered 401/);
      const none = await cli.run(['hook', 'test', 'ops']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('KILN_WEBHOOK_SECRET');
    });
  });
});
