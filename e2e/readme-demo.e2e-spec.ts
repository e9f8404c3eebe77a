import { Platform, RunJson, startPlatform } from '@kiln/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
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
    // Not spawnSync: a blocked event loop would keep this process's idle keep-alive connection to
    // the gateway past the gateway's keep-alive timeout, and the next request would go out on a
    // socket the gateway had already closed ("other side closed").
    const result = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        GIT_AUTHOR_NAME: 'Demo',
        GIT_AUTHOR_EMAIL: 'demo@example.com',
        GIT_COMMITTER_NAME: 'Demo',
        GIT_COMMITTER_EMAIL: 'demo@example.com',
      },
    }).then(
      () => ({ status: 0, stderr: '' }),
      // `kiln run` follows the run on stderr; any failure exits non-zero with its reason there.
      (error: { code?: number | string; stderr?: string }) => ({ status: error.code, stderr: error.stderr }),
    );
    expect(result).toEqual({ status: 0, stderr: '' });

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
