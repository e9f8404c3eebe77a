import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { KilnCli, startTestPlatform, TestPlatform } from './cli.harness';

const GATED_PIPELINE = `pipeline:
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
      // The default pipeline reads .platform.yaml at the commit: its filters are applied after the answer.
      expect(result.stdout).toMatch(/^ {2}pipeline \S+ runs if its filters match: .*\.platform\.yaml/m);
      const deliveryId = /\(delivery (\S+)\)$/m.exec(result.stdout)?.[1];
      const [record] = await platform.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE delivery_id = $1', [
        deliveryId,
      ]);
      const run = await platform.waitForRun(projectId, await platform.runOfDelivery(record.id));
      expect(run.commit_sha).toBe(sha);
      // The push's head commit message travels to the run and is shown with it.
      const shown = await cli.run(['show', run.id]);
      expect(shown.stdout).toMatch(new RegExp(`^commit +kiln hook test ${deliveryId}$`, 'm'));
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

  it('adds a member by email, changes the role and removes them', async () => {
    const user = await platform.api<{ id: string }>('POST', '/api/users', { name: 'Bo', email: 'bo@example.com' });
    const add = await cli.run(['members', 'add', 'ops', 'bo@example.com', '--role', 'read']);
    expect(add.stdout.trim()).toBe('Added Bo <bo@example.com> to ops as read');
    expect((await cli.run(['members', 'set-role', 'ops', 'bo@example.com', '--role', 'write'])).code).toBe(0);
    const list = JSON.parse((await cli.run(['members', 'list', 'ops', '--json'])).stdout);
    expect(list.items).toContainEqual(expect.objectContaining({ user_id: user.body.id, role: 'write' }));
    expect((await cli.run(['members', 'add', 'ops', 'bo@example.com', '--role', 'owner'])).code).toBe(2);
    expect((await cli.run(['members', 'remove', 'ops', user.body.id])).code).toBe(0);
    expect((await cli.run(['members', 'list', 'ops'])).stdout).not.toContain('bo@example.com');
  });

  it('creates a token shown once that works, lists it and revokes it', async () => {
    const created = await cli.run(['tokens', 'create', 'laptop', '--scope', 'project:read', '--json']);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[] };
    expect(token.scopes).toEqual(['project:read']);
    expect((await cli.run(['projects'], { env: { KILN_TOKEN: token.token } })).code).toBe(0);
    expect((await cli.run(['tokens', 'list'])).stdout).toMatch(/laptop.*project:read.*active/);
    expect((await cli.run(['tokens', 'revoke', token.id])).code).toBe(0);
    expect((await cli.run(['projects'], { env: { KILN_TOKEN: token.token } })).code).toBe(3);
  });

  it('adds an outbound webhook with a generated secret, switches it off and deletes it', async () => {
    const add = await cli.run(['webhooks', 'add', 'ops', 'https://hooks.example.com/kiln', '--event', 'build.failure']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^Signing secret: \S{20,}$/m);
    const id = /^Added webhook (\S+) to ops/m.exec(add.stdout)?.[1];
    expect((await cli.run(['webhooks', 'update', 'ops', id!, '--no-active'])).stdout.trim()).toBe(
      `Updated webhook ${id} (active)`,
    );
    const list = JSON.parse((await cli.run(['webhooks', 'list', 'ops', '--json'])).stdout);
    expect(list.items).toEqual([expect.objectContaining({ id, active: false, events: ['build.failure'] })]);
    expect((await cli.run(['webhooks', 'update', 'ops', id!])).code).toBe(2);
    expect((await cli.run(['webhooks', 'delete', 'ops', id!])).code).toBe(0);
    expect((await cli.run(['webhooks', 'list', 'ops'])).stdout.trim()).toBe('No webhooks in ops.');
  });

  it('sets registry credentials with the password from stdin, never shows it, and deletes them', async () => {
    const set = await cli.run(['registries', 'set', 'ops', 'registry.example.com:5000', '--username', 'puller'], {
      input: 'pa55word\n',
    });
    expect(set.stdout.trim()).toBe('Set credentials for registry.example.com:5000 (puller) in ops');
    const list = await cli.run(['registries', 'list', 'ops']);
    expect(list.stdout).toMatch(/registry\.example\.com:5000 +puller/);
    expect(list.stdout).not.toContain('pa55word');
    expect((await cli.run(['registries', 'delete', 'ops', 'registry.example.com:5000'])).code).toBe(0);
    expect((await cli.run(['registries', 'list', 'ops'])).stdout.trim()).toBe('No registry credentials in ops.');
  });

  it('approves one waiting run and rejects another with a comment', async () => {
    const pipelineId = await platform.createPipeline(projectId, { name: 'gated', yaml_config: GATED_PIPELINE });
    const waiting = (r: { status: string }) => r.status === 'waiting';
    const first = await platform.startRun(projectId, pipelineId);
    await platform.waitForRun(projectId, first.id, waiting);
    const approve = await cli.run(['approve', `ops/${first.number}`, 'gate']);
    expect(approve.stdout.trim()).toBe(`Approved step gate of run #${first.number} of ops`);
    expect((await platform.waitForRun(projectId, first.id)).status).toBe('succeeded');

    const second = await platform.startRun(projectId, pipelineId);
    await platform.waitForRun(projectId, second.id, waiting);
    const reject = await cli.run(['reject', second.id, 'gate', '--comment', 'not today']);
    expect(reject.code).toBe(0);
    const rejected = await platform.waitForRun(projectId, second.id);
    expect(rejected.status).toBe('failed');
    expect(rejected.steps.find((s) => s.name === 'gate')?.error).toMatch(/^rejected by .+: not today$/);
    expect((await cli.run(['approve', second.id, 'gate'])).code).toBe(3);
    expect((await cli.run(['approve', second.id, 'nope'])).code).toBe(3);
  });

  it('reruns one step of a finished run, reusing the steps it does not depend on', async () => {
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'rerun',
      yaml_config: `pipeline:
  steps:
    - { name: build, image: node:20, commands: [echo built] }
    - { name: test, image: node:20, depends_on: [build], commands: [echo tested] }
`,
    });
    const first = await platform.waitForRun(projectId, (await platform.startRun(projectId, pipelineId)).id);
    expect(first.status).toBe('succeeded');
    const result = await cli.run(['rerun', `ops/${first.number}`, 'test', '--json']);
    expect(result.code).toBe(0);
    const second = await platform.waitForRun(projectId, (JSON.parse(result.stdout) as { id: string }).id);
    const byName = (name: string) => second.steps.find((s) => s.name === name);
    expect(second.status).toBe('succeeded');
    expect(byName('build')?.reused_from).toBe(first.steps.find((s) => s.name === 'build')?.id);
    expect(byName('test')?.reused_from).toBeNull();
    expect((await cli.run(['rerun', `ops/${first.number}`, 'nope'])).code).toBe(3);
  });

  it('starts a run with variables every step sees, refusing a malformed or reserved one', async () => {
    await platform.createPipeline(projectId, {
      name: 'greet',
      yaml_config: `pipeline:
  steps:
    - name: hello
      image: node:20
      environment: { GREETING: from the definition }
      commands: ['echo "greeting=$GREETING target=$TARGET"']
`,
    });
    const result = await cli.run(['run', 'ops/greet', '--var', 'GREETING=hi there', '--var', 'TARGET=a=b']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('greeting=hi there target=a=b');
    expect((await cli.run(['run', 'ops/greet', '--var', 'NOEQUALS'])).code).toBe(2);
    const reserved = await cli.run(['run', 'ops/greet', '--var', 'COMMIT_SHA=x']);
    expect(reserved.code).toBe(3);
    expect(reserved.stderr).toContain('COMMIT_SHA is set by Kiln');
  });

  it('manages users: lists, shows by email, renames, disables (revoking tokens) and deletes', async () => {
    const created = await cli.run(['users', 'create', 'Cy', 'cy@example.com', '--json']);
    expect(created.code).toBe(0);
    const user = JSON.parse(created.stdout) as { id: string; token: string };
    expect((await cli.run(['projects'], { env: { KILN_TOKEN: user.token } })).code).toBe(0);

    expect((await cli.run(['users', 'list'])).stdout).toMatch(/Cy +cy@example\.com +no +active/);
    const shown = await cli.run(['users', 'show', 'cy@example.com']);
    expect(shown.stdout).toContain(`ID:      ${user.id}`);
    const renamed = await cli.run(['users', 'update', user.id, '--name', 'Cyrus']);
    expect(renamed.stdout.trim()).toBe('Updated user Cyrus <cy@example.com> (name)');
    expect((await cli.run(['users', 'update', user.id])).code).toBe(2);

    const disabled = await cli.run(['users', 'disable', 'cy@example.com', '--json']);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: user.id, disabled: true });
    expect((await cli.run(['projects'], { env: { KILN_TOKEN: user.token } })).code).toBe(3);
    const listed = JSON.parse((await cli.run(['users', 'list', '--json'])).stdout) as { items: { id: string; disabled: boolean }[] };
    expect(listed.items.find((u) => u.id === user.id)?.disabled).toBe(true);
    // Only platform admins manage users.
    const member = await cli.run(['users', 'create', 'Di', 'di@example.com', '--json']);
    const memberToken = (JSON.parse(member.stdout) as { token: string }).token;
    expect((await cli.run(['users', 'list'], { env: { KILN_TOKEN: memberToken } })).code).toBe(3);

    expect((await cli.run(['users', 'delete', user.id])).code).toBe(0);
    expect((await cli.run(['users', 'show', user.id])).code).toBe(3);
    expect((await cli.run(['users', 'list'])).stdout).not.toContain('cy@example.com');
  });
});
