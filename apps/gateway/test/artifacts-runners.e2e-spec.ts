import { sha256Hex } from '@kiln/crypto';
import { OBJECT_STORAGE, ObjectStorage } from '@kiln/storage';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('artifacts', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  let runId: string;
  let artifactId: string;
  const content = 'suite,passed\nunit,42\n';
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
    runId = (await gw.insertRun(projectId)).runId;
    const objectPath = `artifacts/${runId}/test-results/reports/résumé "q".csv`;
    await gw.app.get<ObjectStorage>(OBJECT_STORAGE).put(objectPath, content);
    const row = await gw.prisma.artifact.create({
      data: {
        runId,
        projectId,
        name: 'test-results',
        path: 'reports/résumé "q".csv',
        objectPath,
        contentType: 'text/csv',
        sizeBytes: BigInt(content.length),
        sha256: sha256Hex(content),
      },
    });
    artifactId = row.id;
    await gw.prisma.artifact.create({
      data: {
        runId,
        projectId,
        name: 'old',
        path: 'x.txt',
        objectPath: `artifacts/${runId}/old/x.txt`,
        contentType: 'text/plain',
        sizeBytes: 1n,
        sha256: 'x',
        expiresAt: new Date(Date.now() - 1000),
      },
    });
  });
  afterAll(() => gw?.stop());

  it("lists a run's artifacts, leaving out expired ones", async () => {
    const res = await gw
      .http()
      .get(`/api/projects/${projectId}/runs/${runId}/artifacts`)
      .set(bearer(owner.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        expect.objectContaining({
          id: artifactId,
          name: 'test-results',
          path: 'reports/résumé "q".csv',
          size_bytes: content.length,
          sha256: sha256Hex(content),
          content_type: 'text/csv',
        }),
      ],
      next_cursor: null,
    });
  });

  it('streams the file with a safe Content-Disposition when the store cannot presign', async () => {
    for (const path of [
      `runs/${runId}/artifacts/${artifactId}/download`,
      `artifacts/${artifactId}/download`,
    ]) {
      const res = await gw
        .http()
        .get(`/api/projects/${projectId}/${path}`)
        .set(bearer(owner.token))
        .buffer(true)
        .parse((r, cb) => {
          let data = '';
          r.on('data', (c: Buffer) => (data += c.toString()));
          r.on('end', () => cb(null, data));
        });
      expect(res.status).toBe(200);
      expect(res.body).toBe(content);
      expect(res.headers['content-type']).toContain('text/csv');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="r_sum_ _q_.csv"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22q%22.csv`,
      );
    }
  });

  it('answers 410 for an expired artifact and 404 for one of another run', async () => {
    const expired = await gw.prisma.artifact.findFirstOrThrow({ where: { name: 'old' } });
    expect(
      (
        await gw
          .http()
          .get(`/api/projects/${projectId}/artifacts/${expired.id}/download`)
          .set(bearer(owner.token))
      ).status,
    ).toBe(410);
    const otherRun = (await gw.insertRun(projectId)).runId;
    expect(
      (
        await gw
          .http()
          .get(`/api/projects/${projectId}/runs/${otherRun}/artifacts/${artifactId}/download`)
          .set(bearer(owner.token))
      ).status,
    ).toBe(404);
  });
});

describe('deployments and runners', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  it("lists the project's desired deployment", async () => {
    const { runId } = await gw.insertRun(projectId);
    await gw.prisma.deployment.create({ data: { projectId, imageRef: 'registry.local/app:abc', runId } });
    const res = await gw.http().get(`/api/projects/${projectId}/deployments`).set(bearer(owner.token));
    expect(res.body).toEqual({
      items: [
        expect.objectContaining({
          image_ref: 'registry.local/app:abc',
          desired_status: 'active',
          run_id: runId,
        }),
      ],
      next_cursor: null,
    });
  });

  it('lists live executors with backend, capacity, load and last heartbeat', async () => {
    const now = Date.now();
    const base = {
      hostname: 'node-1',
      version: '0.1.0',
      runningSteps: ['s1'],
      startedAt: new Date(now - 60_000),
    };
    await gw.prisma.executor.createMany({
      data: [
        {
          ...base,
          id: 'exec-live',
          backend: 'local',
          capacity: 4,
          running: 1,
          lastHeartbeatAt: new Date(now - 5000),
        },
        {
          ...base,
          id: 'exec-silent',
          backend: 'kubernetes',
          capacity: 8,
          running: 0,
          lastHeartbeatAt: new Date(now - 120_000),
        },
      ],
    });
    const res = await gw.http().get('/api/runners').set(bearer(owner.token));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: 'exec-live',
        backend: 'local',
        capacity: 4,
        running: 1,
        load: 0.25,
        online: true,
        last_heartbeat_at: expect.any(String),
      }),
    ]);
    expect(res.body.items[0].running_steps).toBeUndefined();
    const all = await gw.http().get('/api/runners?all=true').set(bearer(gw.admin.token));
    expect(all.body.items.map((r: { id: string; online: boolean }) => [r.id, r.online])).toEqual([
      ['exec-silent', false],
      ['exec-live', true],
    ]);
    expect(all.body.items[1].running_steps).toEqual(['s1']);
  });
});
