import { createStorage, ObjectStorage } from '@kiln/storage';
import { join } from 'node:path';
import {
  ArtifactService,
  createFixture,
  createRun,
  eventually,
  Fixture,
  send,
  startArtifactService,
} from './artifact-service.harness';

describe('artifact expiry sweeper', () => {
  let fx: Fixture;
  let services: ArtifactService[];
  let storage: ObjectStorage;

  beforeAll(async () => {
    fx = await createFixture();
    const env = { DATABASE_URL: fx.db.url, KILN_DATA_DIR: fx.dataDir, KILN_ARTIFACT_SWEEP_SECONDS: '1' };
    // Two replicas sweep the same rows: each expiry must still happen exactly once.
    services = [await startArtifactService(env), await startArtifactService(env)];
    storage = createStorage({ driver: 'fs', root: join(fx.dataDir, 'objects') });
  });

  afterAll(async () => {
    for (const service of services ?? []) await service.stop();
    await fx?.cleanUp();
  });

  it('deletes expired artifacts (row and object) and keeps unexpired ones', async () => {
    const { projectId, runId } = await createRun(fx.prisma);
    const put = async (path: string, expires: string) => {
      const answer = await send(
        'PUT',
        `${services[0].url}/internal/artifacts/${runId}/out?path=${path}${expires}`,
        { body: Buffer.from(`content of ${path}`), headers: { 'x-project-id': projectId } },
      );
      expect(answer.status).toBe(201);
    };
    const expiredBefore = await expiredCount(services[0]);
    await put('short-1.txt', '&expires_ms=1');
    await put('short-2.txt', '&expires_ms=1');
    await put('long.txt', '&expires_ms=3600000');
    await put('forever.txt', '');

    await eventually(async () => (await fx.prisma.artifact.count({ where: { runId } })) === 2);

    const left = await fx.prisma.artifact.findMany({ where: { runId }, orderBy: { path: 'asc' } });
    expect(left.map((a) => a.path)).toEqual(['forever.txt', 'long.txt']);
    expect(await storage.stat(`artifacts/${runId}/out/short-1.txt`)).toBeNull();
    expect(await storage.stat(`artifacts/${runId}/out/short-2.txt`)).toBeNull();
    expect((await storage.get(`artifacts/${runId}/out/long.txt`)).toString()).toBe('content of long.txt');
    expect((await storage.get(`artifacts/${runId}/out/forever.txt`)).toString()).toBe(
      'content of forever.txt',
    );
    // Both replicas share one process registry here, so the total counts the deletions of both.
    await eventually(async () => (await expiredCount(services[0])) === expiredBefore + 2);
  });

  it('keeps an artifact re-uploaded with a later expiry', async () => {
    const { projectId, runId } = await createRun(fx.prisma);
    const url = (expires: number) =>
      `${services[0].url}/internal/artifacts/${runId}/out?path=kept.txt&expires_ms=${expires}`;
    const headers = { 'x-project-id': projectId };
    await send('PUT', url(1), { body: Buffer.from('old'), headers });
    const renewed = await send('PUT', url(3_600_000), { body: Buffer.from('new'), headers });
    expect([200, 201]).toContain(renewed.status);

    await new Promise((r) => setTimeout(r, 2500));

    expect(await fx.prisma.artifact.count({ where: { runId } })).toBe(1);
    expect((await storage.get(`artifacts/${runId}/out/kept.txt`)).toString()).toBe('new');
  });
});

async function expiredCount(service: ArtifactService): Promise<number> {
  const metrics = (await send('GET', `${service.url}/metrics`)).body.toString();
  const match = /^kiln_artifacts_expired_total\{[^}]*\} (\d+)/m.exec(metrics);
  return match ? Number(match[1]) : 0;
}
