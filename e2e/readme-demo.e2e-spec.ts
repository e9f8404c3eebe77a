import { Platform, RunJson, startPlatform } from '@kiln/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_GATEWAY, DEMO_TOKEN, demoBlock } from './readme-blocks';

const ROOT = resolve(__dirname, '..');

describe("README's demo, pasted into a shell against a running platform", () => {
  let platform: Platform;
  let home: string;

  beforeAll(async () => {
    platform = await startPlatform();
    home = mkdtempSync(join(tmpdir(), 'kiln-readme-home-'));
  });

  afterAll(async () => {
    await platform?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('creates the project, starts a run with a signed push and another by hand, both succeed', async () => {
    // What differs from `pnpm start`: the gateway's address and where the admin token is kept.
    const script = demoBlock(ROOT)
      .replace(DEMO_GATEWAY, platform.apps.url('gateway'))
      .replace(DEMO_TOKEN, platform.adminToken);
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        GIT_AUTHOR_NAME: 'Demo',
        GIT_AUTHOR_EMAIL: 'demo@example.com',
        GIT_COMMITTER_NAME: 'Demo',
        GIT_COMMITTER_EMAIL: 'demo@example.com',
      },
    });
    // `kiln run` follows the run on stderr; any failure exits non-zero with its reason there.
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });

    const projects = await platform.api<{ items: { id: string; name: string }[] }>('GET', '/api/projects');
    const demo = projects.body.items.find((p) => p.name === 'demo');
    expect(demo).toBeDefined();
    const runs = await platform.api<{ items: RunJson[] }>('GET', `/api/projects/${demo!.id}/runs`);
    expect(runs.body.items.map((r) => [r.trigger, r.status]).sort()).toEqual([
      ['manual', 'succeeded'],
      ['webhook', 'succeeded'],
    ]);
  });
});
