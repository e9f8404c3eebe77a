import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('status badge', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  // SVG is not text to supertest: collect the body as a string.
  const badge = (query = '') =>
    gw
      .http()
      .get(`/api/projects/${projectId}/badge.svg${query}`)
      .buffer(true)
      .parse((res, done) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done(null, body));
      });

  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  it("shows the latest run's status, of the pipeline and branch asked", async () => {
    const pipeline = await gw
      .http()
      .post(`/api/projects/${projectId}/pipelines`)
      .set(bearer(owner.token))
      .send({ name: 'release', config_path: '.platform.yaml' });
    expect(pipeline.status).toBe(201);
    await gw.insertRun(projectId, { status: 'failed', branch: 'main', createdAt: new Date(Date.now() - 60_000) });
    await gw.insertRun(projectId, { status: 'succeeded', branch: 'dev', createdAt: new Date(Date.now() - 30_000) });
    await gw.insertRun(projectId, { status: 'running', branch: 'main', pipelineId: pipeline.body.id, createdAt: new Date() });

    const latest = await badge().set(bearer(owner.token));
    expect(latest.status).toBe(200);
    expect(latest.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(latest.headers['cache-control']).toContain('no-cache');
    expect(latest.body).toContain('<title>build: running</title>');
    expect((await badge('?branch=dev').set(bearer(owner.token))).body).toContain('<title>build: succeeded</title>');
    const byName = await badge('?pipeline=release&branch=main').set(bearer(owner.token));
    expect(byName.body).toContain('<title>release: running</title>');
    expect((await badge(`?pipeline=${pipeline.body.id}&branch=dev`).set(bearer(owner.token))).body).toContain(
      '<title>release: no runs</title>',
    );
    expect((await badge('?pipeline=nope').set(bearer(owner.token))).status).toBe(404);
  });

  it('needs read access unless the project makes its badge public', async () => {
    const stranger = await gw.createUser();
    expect((await badge()).status).toBe(401);
    expect((await badge().set(bearer(stranger.token))).status).toBe(404);

    const on = await gw.http().patch(`/api/projects/${projectId}`).set(bearer(owner.token)).send({ public_badge: true });
    expect(on.status).toBe(200);
    expect(on.body.public_badge).toBe(true);
    expect((await badge()).status).toBe(200);
    expect((await badge().set(bearer(stranger.token))).body).toContain('<title>build: running</title>');

    await gw.http().patch(`/api/projects/${projectId}`).set(bearer(owner.token)).send({ public_badge: false });
    expect((await badge()).status).toBe(401);
  });

  it("answers a missing project as it answers a private one", async () => {
    const missing = await gw.http().get('/api/projects/00000000-0000-4000-8000-000000000000/badge.svg');
    expect(missing.status).toBe(401);
    const read = await gw
      .http()
      .get('/api/projects/00000000-0000-4000-8000-000000000000/badge.svg')
      .set(bearer(owner.token));
    expect(read.status).toBe(404);
  });
});
