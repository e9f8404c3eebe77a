import { generateKey } from '@kiln/crypto';
import { createTestDatabase, RunningApps, startApps, TestDatabase, uniqueNatsPrefix } from '@kiln/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The compiled gateway (node scripts/build.js) as a real process, as production runs it.
describe('gateway process', () => {
  let db: TestDatabase;
  let apps: RunningApps;
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-gw-proc-'));
  beforeAll(async () => {
    db = await createTestDatabase();
    apps = await startApps(['gateway'], {
      DATABASE_URL: db.url,
      NATS_URL: process.env.NATS_URL!,
      KILN_NATS_PREFIX: uniqueNatsPrefix(),
      KILN_DATA_DIR: dataDir,
      KILN_SECRET_KEY: generateKey(),
    });
  }, 60_000);
  afterAll(async () => {
    await apps?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts ready, prints a generated admin token once, and serves the API under /api with it', async () => {
    const printed = apps.output('gateway').match(/^Admin token: (kiln_\S+)$/m);
    expect(printed).not.toBeNull();
    const res = await fetch(`${apps.url('gateway')}/api/me`, { headers: { 'X-API-Key': printed![1]! } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'admin', is_admin: true });
    expect(apps.output('gateway')).not.toMatch(new RegExp(`"[^"]*":"${printed![1]}"`));
  });

  it('shuts down gracefully on SIGTERM', async () => {
    await apps.kill('gateway', 'SIGTERM');
    await expect(fetch(`${apps.url('gateway')}/healthz`)).rejects.toThrow();
  });
});
