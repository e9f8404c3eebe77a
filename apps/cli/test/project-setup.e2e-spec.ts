import { createGitRepo, githubPushPayload, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { KilnCli, startTestPlatform, TestPlatform } from './cli.harness';

describe('setting a project up with the kiln CLI', () => {
  let platform: TestPlatform;
  let cli: KilnCli;
  let repo: TestGitRepo;
  let sha: string;
  const push = (secret: string) =>
    platform.pushToGithub(githubPushPayload(repo, 'acme/shop', sha), secret, randomUUID());

  beforeAll(async () => {
    platform = await startTestPlatform();
    cli = new KilnCli({ KILN_SERVER: platform.gateway, KILN_TOKEN: platform.adminToken });
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'shop\n' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
    cli?.remove();
  });

  it('creates a GitHub project, printing its repository name and the generated secret once', async () => {
    const result = await cli.run([
      'projects',
      'create',
      'shop',
      '--repo',
      repo.url,
      '--provider',
      'github',
      '--repo-full-name',
      'acme/shop',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Created project shop \(.+\)$/m);
    expect(result.stdout).toMatch(/^Repository: +acme\/shop$/m);
    const secret = /^Webhook secret: (\S+)$/m.exec(result.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(result.stderr).toContain('shown only now');
    expect((await push(secret!)).status).toBe(202);
  });

  it('replaces the webhook secret: the old one is refused, the new one accepted', async () => {
    const result = await cli.run(['projects', 'update', 'shop', '--webhook-secret', 'a-new-secret-123']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('Updated project shop (webhook_secret)');
    expect((await push('a-new-secret-123')).status).toBe(202);
    expect((await push('not-the-secret')).status).toBe(401);
    expect((await cli.run(['projects', 'update', 'shop'])).code).toBe(2);
  });

  it('creates a project with a given secret and prints no secret', async () => {
    const result = await cli.run([
      'projects',
      'create',
      'mirror',
      '--repo',
      repo.url,
      '--webhook-secret',
      'given-secret-1',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Webhook secret');
  });

  it('sets a secret from stdin, lists its name only, and deletes it', async () => {
    const set = await cli.run(['secrets', 'set', 'shop', 'NPM_TOKEN'], { input: 's3cret-value\n' });
    expect(set.code).toBe(0);
    expect(set.stdout.trim()).toBe('Set secret NPM_TOKEN in shop');
    const list = await cli.run(['secrets', 'list', 'shop', '--json']);
    expect(JSON.parse(list.stdout).items.map((s: { name: string }) => s.name)).toEqual(['NPM_TOKEN']);
    expect(list.stdout).not.toContain('s3cret-value');
    expect((await cli.run(['secrets', 'set', 'shop', '1BAD'], { input: 'x' })).code).toBe(2);
    expect((await cli.run(['secrets', 'delete', 'shop', 'NPM_TOKEN'])).code).toBe(0);
    expect((await cli.run(['secrets', 'list', 'shop'])).stdout.trim()).toBe('No secrets in shop.');
  });
});
