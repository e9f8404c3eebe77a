import { isTerminalRun } from '@kiln/engine';
import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnCli, startTestPlatform, TestPlatform } from './cli.harness';
import { BROKEN_PIPELINE, CI_PIPELINE, SLOW_PIPELINE } from './fixtures';

interface RunJson {
  id: string;
  number: number;
  status: string;
  trigger: string;
  retry_of: string | null;
  steps: { name: string; status: string }[];
}


describe('the kiln CLI against a running platform', () => {
  let platform: TestPlatform;
  let repo: TestGitRepo;
  let cli: KilnCli;
  let projectId: string;
  let sha: string;
  const pipelines: Record<string, string> = {};
  let passed: RunJson;
  let failed: RunJson;
  const scratch = mkdtempSync(join(tmpdir(), 'kiln-cli-files-'));

  async function startRun(pipeline: string): Promise<RunJson> {
    const res = await platform.api<{ id: string }>(
      'POST',
      `/api/projects/${projectId}/pipelines/${pipelines[pipeline]}/runs`,
      { git_ref: 'main' },
    );
    expect([201, 202]).toContain(res.status);
    return waitForRun(res.body.id);
  }

  async function waitForRun(
    id: string,
    until = (r: RunJson) => isTerminalRun(r.status),
  ): Promise<RunJson> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await platform.api<RunJson>('GET', `/api/projects/${projectId}/runs/${id}`);
      if (res.status === 200 && until(res.body)) return res.body;
      if (Date.now() > deadline) throw new Error(`run ${id} stuck: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    platform = await startTestPlatform();
    cli = new KilnCli({ KILN_SERVER: platform.gateway, KILN_TOKEN: platform.adminToken });
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'demo\n' });
    const project = await platform.api<{ id: string }>('POST', '/api/projects', {
      name: 'demo',
      repo_url: repo.url,
      provider: 'git',
    });
    expect(project.status).toBe(201);
    projectId = project.body.id;
    for (const [name, yaml] of Object.entries({
      ci: CI_PIPELINE,
      broken: BROKEN_PIPELINE,
      slow: SLOW_PIPELINE,
    })) {
      const res = await platform.api<{ id: string }>('POST', `/api/projects/${projectId}/pipelines`, {
        name,
        yaml_config: yaml,
      });
      expect(res.status).toBe(201);
      pipelines[name] = res.body.id;
    }
    [passed, failed] = await Promise.all([startRun('ci'), startRun('broken')]);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
    cli?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a bad token at login with exit 3 and keeps no config', async () => {
    const fresh = new KilnCli();
    const result = await fresh.run(['login', '--server', platform.gateway, '--token-stdin'], {
      input: 'kiln_not-a-real-token\n',
    });
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^kiln: error: .* refused the token/),
    ]);
    expect(() => statSync(join(fresh.configHome, 'kiln', 'config.json'))).toThrow();
    fresh.remove();
  });

  it('logs in, stores the token with mode 0600 and uses it afterwards', async () => {
    const fresh = new KilnCli();
    const login = await fresh.run(['login', '--server', platform.gateway, '--token-stdin'], {
      input: `${platform.adminToken}\n`,
    });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${platform.gateway}`);
    const file = join(fresh.configHome, 'kiln', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      server: platform.gateway,
      token: platform.adminToken,
    });
    const projects = await fresh.run(['projects']);
    expect(projects.code).toBe(0);
    expect(projects.stdout).toMatch(/^demo\s+git\s+file:\/\//m);
    fresh.remove();
  });

  it('answers a refused token on any command with exit 3 and one line', async () => {
    const result = await cli.run(['runs'], { env: { KILN_TOKEN: 'kiln_revoked-or-wrong' } });
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/refused the token/);
  });

  it('creates a project and lists projects as a table or JSON', async () => {
    const created = await cli.run(['projects', 'create', 'cli-made', '--repo', repo.url]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created project cli-made \(/);
    const json = JSON.parse((await cli.run(['projects', '--json', '--sort', 'name'])).stdout);
    expect(json.items.map((p: { name: string }) => p.name)).toEqual(['cli-made', 'demo']);
    expect(json.next_cursor).toBeNull();
  });

  it('applies a definition file as a new pipeline, then as an update, after checking it locally', async () => {
    const file = join(scratch, 'apply.yaml');
    writeFileSync(file, CI_PIPELINE);
    const first = await cli.run(['pipelines', 'apply', 'demo/applied', '-f', file]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('Created pipeline demo/applied (compile, test)');
    writeFileSync(file, SLOW_PIPELINE);
    const second = await cli.run([
      'pipelines',
      'apply',
      '--project',
      'demo',
      '--name',
      'applied',
      '-f',
      file,
    ]);
    expect(second.stdout).toContain('Updated pipeline demo/applied (slow)');
    const listed = JSON.parse((await cli.run(['pipelines', '--project', 'demo', '--json'])).stdout);
    expect(listed.items.find((p: { name: string }) => p.name === 'applied').yaml_config).toBe(SLOW_PIPELINE);

    writeFileSync(file, 'pipeline:\n  steps:\n    - name: x\n      commands: [echo]\n');
    const invalid = await cli.run(['pipelines', 'apply', 'demo/invalid', '-f', file]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(`${file}:3:7: error: steps[0]: missing required key "image"`);
    expect(
      (
        await platform.api<{ items: { name: string }[] }>('GET', `/api/projects/${projectId}/pipelines`)
      ).body.items.map((p) => p.name),
    ).not.toContain('invalid');
  });

  it('runs a pipeline, following every step live with prefixes, and exits 0 when it succeeds', async () => {
    const result = await cli.run(['run', 'demo/ci', '--ref', 'main']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`compile │ compiling ${sha}`);
    expect(result.stdout).toContain('test    │ tests passed');
    expect(result.stdout.indexOf('compiling')).toBeLessThan(result.stdout.indexOf('tests passed'));
    expect(result.stdout).toMatch(/✓ compile\s+succeeded/);
    expect(result.stdout).toMatch(/run #\d+ succeeded in /);
    expect(result.stderr).toMatch(/▶ #\d+ demo\/ci main \(/);
  });

  it('exits 1 when the run fails, showing the failing output and the skipped step', async () => {
    const result = await cli.run(['run', 'broken', '--project', 'demo']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('compile │ about to fail');
    expect(result.stdout).toMatch(/✗ compile\s+failed exit 4/);
    expect(result.stdout).toMatch(/– after\s+skipped/);
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^kiln: error: run #\d+ failed/);
  });

  it('lists runs as JSON with status and pipeline filters, and as a coloured table', async () => {
    const onlyFailed = JSON.parse(
      (await cli.run(['runs', '--project', 'demo', '--status', 'failed', '--json'])).stdout,
    );
    expect(onlyFailed.items.length).toBeGreaterThan(0);
    expect(onlyFailed.items.every((r: RunJson) => r.status === 'failed')).toBe(true);
    expect(onlyFailed.items.map((r: RunJson) => r.id)).toContain(failed.id);
    const ci = JSON.parse(
      (await cli.run(['runs', '--pipeline', 'ci', '--project', 'demo', '--json', '--limit', '100'])).stdout,
    );
    expect(ci.items.map((r: RunJson) => r.id)).toContain(passed.id);
    expect(ci.items.map((r: RunJson) => r.id)).not.toContain(failed.id);

    const table = await cli.run(['runs', '--project', 'demo'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(table.stdout).toContain('\x1b[32msucceeded');
    expect(table.stdout).toContain('\x1b[31mfailed');
    const across = await cli.run(['runs']);
    expect(across.stdout).toMatch(new RegExp(`demo/${failed.number}\\s+broken\\s+failed`));
  });

  it('shows a run with its steps, by number or by id', async () => {
    const shown = await cli.run(['show', `demo/${failed.number}`]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Run #${failed.number}`);
    expect(shown.stdout).toMatch(/✗ compile\s+failed\s+4/);
    expect(shown.stdout).toMatch(/– after\s+skipped/);
    const byId = JSON.parse((await cli.run(['show', passed.id, '--json'])).stdout);
    expect(byId).toMatchObject({ id: passed.id, status: 'succeeded' });
  });

  it("prints a finished run's logs, all steps prefixed or one step bare", async () => {
    const all = await cli.run(['logs', `demo/${passed.number}`]);
    expect(all.stdout).toContain(`compile │ compiling ${sha}`);
    expect(all.stdout).toContain('test    │ tests passed');
    const one = await cli.run(['logs', `demo/${passed.number}`, 'test']);
    expect(one.stdout).toMatch(/^tests passed$/m);
    expect(one.stdout).not.toContain('│');
    const missing = await cli.run(['logs', `demo/${passed.number}`, 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no step "nope" (steps: compile, test)');
  });

  it('cancels a running run: the following `kiln run` and `kiln logs -f` end, the run exits 1', async () => {
    const run = cli.spawn(['run', 'demo/slow']);
    const [, number] = await run.waitFor(/▶ #(\d+) demo\/slow/);
    await run.waitFor(/slow │ line 3\n/);
    const follower = cli.spawn(['logs', `demo/${number}`, 'slow', '-f']);
    await follower.waitFor(/^line 3$/m);
    const cancel = await cli.run(['cancel', `demo/${number}`]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`Cancel requested for run #${number} of demo`);
    const [ran, followed] = await Promise.all([run.exited, follower.exited]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).not.toContain('line 30');
    expect(ran.stderr).toMatch(new RegExp(`kiln: error: run #${number} cancelled`));
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^line 1\nline 2\nline 3\n/m);
    const shown = JSON.parse((await cli.run(['show', `demo/${number}`, '--json'])).stdout);
    expect(shown.status).toBe('cancelled');
  });

  it('retries a failed run with only its failed steps', async () => {
    const retried = await cli.run(['retry', `demo/${failed.number}`, '--failed-only', '--json']);
    expect(retried.code).toBe(0);
    const next = JSON.parse(retried.stdout) as RunJson;
    const finished = await waitForRun(next.id);
    expect(finished).toMatchObject({ trigger: 'retry', retry_of: failed.id, status: 'failed' });
    const listed = JSON.parse(
      (await cli.run(['runs', '--project', 'demo', '--trigger', 'retry', '--json'])).stdout,
    );
    expect(listed.items.map((r: RunJson) => r.id)).toEqual([next.id]);
  });

  it("lists a run's artifacts and downloads one with its checksum checked", async () => {
    let listed: { items: { name: string; path: string; sha256: string }[] } = { items: [] };
    for (let i = 0; i < 50 && listed.items.length === 0; i += 1) {
      listed = JSON.parse((await cli.run(['artifacts', `demo/${passed.number}`, '--json'])).stdout);
      if (!listed.items.length) await new Promise((r) => setTimeout(r, 300));
    }
    expect(listed.items).toEqual([expect.objectContaining({ name: 'report', path: 'report.txt' })]);
    const table = await cli.run(['artifacts', `demo/${passed.number}`]);
    expect(table.stdout).toMatch(/report\s+report\.txt\s+16 B/);
    const target = join(scratch, 'downloaded');
    const download = await cli.run([
      'artifacts',
      `demo/${passed.number}`,
      '--download',
      'report',
      '-o',
      target,
    ]);
    expect(download.code).toBe(0);
    expect(download.stdout).toContain(`Downloaded report: 1 file(s), 16 B to ${target}`);
    expect(readFileSync(join(target, 'report.txt'), 'utf8')).toBe('report for main\n');
    const unknown = await cli.run(['artifacts', `demo/${passed.number}`, '--download', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no artifact "nope" (artifacts: report)');
  });

  it('lists the runners that execute steps', async () => {
    const json = JSON.parse((await cli.run(['runners', '--json'])).stdout);
    expect(json.items).toEqual([expect.objectContaining({ backend: 'local', online: true })]);
    const table = await cli.run(['runners']);
    expect(table.stdout).toMatch(/online\s+local\s+/);
  });
});
