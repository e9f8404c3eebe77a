import { cacheObjectKey, createStorage, ObjectStorage } from '@kiln/storage';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  ArtifactService,
  createFixture,
  createRun,
  Fixture,
  send,
  startArtifactService,
} from './artifact-service.harness';

describe('step caches (internal API)', () => {
  let fx: Fixture;
  let service: ArtifactService;
  let storage: ObjectStorage;

  beforeAll(async () => {
    fx = await createFixture();
    service = await startArtifactService({
      DATABASE_URL: fx.db.url,
      KILN_DATA_DIR: fx.dataDir,
      KILN_CACHE_MAX_BYTES: String(64 * 1024),
      KILN_CACHE_TTL: '1h',
      // The test calls the sweep itself.
      KILN_ARTIFACT_SWEEP_SECONDS: '3600',
    });
    storage = createStorage({ driver: 'fs', root: join(fx.dataDir, 'objects') });
  });

  afterAll(async () => {
    await service?.stop();
    await fx?.cleanUp();
  });

  const url = (project: string, key: string, query = '') =>
    `${service.url}/internal/caches/${project}/${key}${query}`;

  it('saves an entry once per project and key and restores it, naming the key', async () => {
    const { projectId } = await createRun(fx.prisma);
    const body = Buffer.from('first archive');
    expect((await send('PUT', url(projectId, 'deps-abc'), { body, chunked: true })).status).toBe(201);
    const again = await send('PUT', url(projectId, 'deps-abc'), { body: Buffer.from('second') });
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ created: false });

    const restored = await send('GET', url(projectId, 'deps-abc'));
    expect(restored.status).toBe(200);
    expect(restored.headers['x-kiln-cache-key']).toBe('deps-abc');
    expect(restored.body.toString()).toBe('first archive');
    const row = await fx.prisma.cache.findFirstOrThrow({ where: { projectId } });
    expect(row).toMatchObject({ key: 'deps-abc', objectPath: cacheObjectKey(projectId, 'deps-abc') });
    expect(Number(row.sizeBytes)).toBe(body.length);
    expect(await storage.get(row.objectPath)).toEqual(body);
  });

  it('falls back to the newest entry starting with a restore key, literally ("_" is no wildcard)', async () => {
    const { projectId } = await createRun(fx.prisma);
    for (const key of ['deps_x-old', 'deps_x-new', 'depsAx-other']) {
      expect((await send('PUT', url(projectId, key), { body: Buffer.from(key) })).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await fx.prisma.cache.updateMany({ where: { projectId, key: 'depsAx-other' }, data: { createdAt: new Date(Date.now() + 60_000) } });

    const hit = await send('GET', url(projectId, 'deps_x-missing', '?restore=nothing-&restore=deps_x-'));
    expect(hit.status).toBe(200);
    expect(hit.headers['x-kiln-cache-key']).toBe('deps_x-new');
    expect(hit.body.toString()).toBe('deps_x-new');

    const miss = await send('GET', url(projectId, 'other', '?restore=nothing-'));
    expect(miss.status).toBe(404);
  });

  it('never restores another project\'s entry', async () => {
    const { projectId: owner } = await createRun(fx.prisma);
    const { projectId: other } = await createRun(fx.prisma);
    expect((await send('PUT', url(owner, 'shared-key'), { body: Buffer.from('x') })).status).toBe(201);
    expect((await send('GET', url(other, 'shared-key', '?restore=shared'))).status).toBe(404);
  });

  it('refuses an archive over KILN_CACHE_MAX_BYTES, declared or streamed, and keeps nothing', async () => {
    const { projectId } = await createRun(fx.prisma);
    const body = randomBytes(100 * 1024);
    const declared = await send('PUT', url(projectId, 'big-1'), { body });
    expect(declared.status).toBe(413);
    const streamed = await send('PUT', url(projectId, 'big-2'), { body, chunked: true });
    expect(streamed.status).toBe(413);
    expect(streamed.json()).toMatchObject({ details: { max_bytes: 64 * 1024 } });
    expect(await fx.prisma.cache.count({ where: { projectId } })).toBe(0);
  });

  it('refuses keys that are not rendered cache keys, and calls without the internal token', async () => {
    const { projectId } = await createRun(fx.prisma);
    expect((await send('PUT', url(projectId, 'a%20b'), { body: Buffer.from('x') })).status).toBe(400);
    expect((await send('GET', url('not-a-uuid', 'k'))).status).toBe(400);
    expect((await send('GET', url(projectId, 'k', '?restore=..%2Fx'))).status).toBe(400);
    expect((await send('GET', url(projectId, 'k'), { token: null })).status).toBe(401);
  });

  it('sweeps entries unused for KILN_CACHE_TTL (row and object); a restore keeps one alive', async () => {
    const { projectId } = await createRun(fx.prisma);
    for (const key of ['stale', 'used']) {
      expect((await send('PUT', url(projectId, key), { body: Buffer.from(key) })).status).toBe(201);
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await fx.prisma.cache.updateMany({ where: { projectId }, data: { lastUsedAt: twoHoursAgo } });
    expect((await send('GET', url(projectId, 'used'))).status).toBe(200);

    const { ExpirySweeper } = await import('../src/sweeper/expiry-sweeper.service');
    expect(await service.app.get(ExpirySweeper).sweepCaches()).toBeGreaterThanOrEqual(1);

    const left = await fx.prisma.cache.findMany({ where: { projectId } });
    expect(left.map((row) => row.key)).toEqual(['used']);
    expect(await storage.stat(cacheObjectKey(projectId, 'stale'))).toBeNull();
    expect(await storage.stat(cacheObjectKey(projectId, 'used'))).not.toBeNull();
  });
});
