import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

const VALID = `pipeline:
  steps:
    - name: test
      image: node:20
      commands: [npm ci, npm test]
    - name: build
      image: node:20
      depends_on: [test]
      commands: [npm run build]
  on:
    schedule: "0 3 * * *"
`;

const INVALID = `pipeline:
  steps:
    - name: test
      commands: [npm test]
    - name: test
      image: node:20
      commands: [x]
      depends_on: [missing]
`;

describe('pipelines', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  const base = () => `/api/projects/${projectId}/pipelines`;

  it('creates an inline pipeline, validated on write, with its cron schedule armed', async () => {
    const res = await gw
      .http()
      .post(base())
      .set(bearer(owner.token))
      .send({ name: 'ci', description: 'tests', yaml_config: VALID });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'ci',
      source: 'inline',
      yaml_config: VALID,
      schedule_cron: '0 3 * * *',
    });
    expect(new Date(res.body.next_schedule_at).getUTCHours()).toBe(3);
    const got = await gw.http().get(`${base()}/${res.body.id}`).set(bearer(owner.token));
    expect(got.body).toEqual(res.body);
  });

  it('refuses an invalid inline definition with every problem and its line', async () => {
    const res = await gw
      .http()
      .post(base())
      .set(bearer(owner.token))
      .send({ name: 'broken', yaml_config: INVALID });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^yaml_config is not a valid pipeline definition: line \d+: /);
    expect(res.body.details.length).toBeGreaterThanOrEqual(3);
    expect(res.body.details[0]).toEqual({
      field: 'yaml_config',
      path: expect.any(String),
      line: expect.any(Number),
      column: expect.any(Number),
      message: expect.any(String),
    });
    expect(await gw.prisma.pipeline.count({ where: { projectId, name: 'broken' } })).toBe(0);
  });

  it('creates a repository-sourced pipeline reading config_path', async () => {
    const res = await gw
      .http()
      .post(base())
      .set(bearer(owner.token))
      .send({ name: 'from-repo', config_path: 'ci/kiln.yaml' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      source: 'repository',
      yaml_config: null,
      config_path: 'ci/kiln.yaml',
      schedule_cron: null,
    });
  });

  it('updates a pipeline: new YAML is validated, null YAML makes it repository-sourced', async () => {
    const created = await gw
      .http()
      .post(base())
      .set(bearer(owner.token))
      .send({ name: 'upd', yaml_config: VALID });
    const url = `${base()}/${created.body.id}`;
    expect((await gw.http().put(url).set(bearer(owner.token)).send({ yaml_config: INVALID })).status).toBe(
      400,
    );
    const renamed = await gw
      .http()
      .put(url)
      .set(bearer(owner.token))
      .send({ name: 'upd2', cancel_previous: true });
    expect(renamed.body).toMatchObject({ name: 'upd2', cancel_previous: true, yaml_config: VALID });
    const toRepo = await gw.http().put(url).set(bearer(owner.token)).send({ yaml_config: null });
    expect(toRepo.body).toMatchObject({ source: 'repository', schedule_cron: null, next_schedule_at: null });
  });

  it('answers 409 for a second pipeline with the same name', async () => {
    await gw.http().post(base()).set(bearer(owner.token)).send({ name: 'dup' });
    const again = await gw.http().post(base()).set(bearer(owner.token)).send({ name: 'dup' });
    expect(again.status).toBe(409);
  });

  it('deletes a pipeline but keeps its runs, and frees its name', async () => {
    const created = await gw.http().post(base()).set(bearer(owner.token)).send({ name: 'gone' });
    const { runId } = await gw.insertRun(projectId, { pipelineId: created.body.id });
    expect((await gw.http().delete(`${base()}/${created.body.id}`).set(bearer(owner.token))).status).toBe(
      204,
    );
    expect((await gw.http().get(`${base()}/${created.body.id}`).set(bearer(owner.token))).status).toBe(404);
    const list = await gw.http().get(base()).set(bearer(owner.token));
    expect(list.body.items.map((p: { name: string }) => p.name)).not.toContain('gone');
    expect(
      (await gw.http().get(`/api/projects/${projectId}/runs/${runId}`).set(bearer(owner.token))).status,
    ).toBe(200);
    expect((await gw.http().post(base()).set(bearer(owner.token)).send({ name: 'gone' })).status).toBe(201);
  });

  it('refuses a config_path outside the repository', async () => {
    for (const config_path of ['/etc/passwd', '../outside.yaml', 'a/../../b.yaml']) {
      const res = await gw.http().post(base()).set(bearer(owner.token)).send({ name: 'escape', config_path });
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('config_path');
    }
  });
});

describe('POST /api/pipelines/validate', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.stop());

  const validate = (yaml_config: unknown) =>
    gw.http().post('/api/pipelines/validate').set(bearer(gw.admin.token)).send({ yaml_config });

  it('answers valid with the steps in run order', async () => {
    const res = await validate(VALID);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, errors: [] });
    expect(res.body.steps.map((s: { name: string }) => s.name)).toEqual(['test', 'build']);
    expect(res.body.steps[1]).toMatchObject({
      image: 'node:20',
      depends_on: ['test'],
      commands: ['npm run build'],
    });
  });

  it('answers every problem with its path, line and column', async () => {
    const res = await validate(INVALID);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.steps).toBeUndefined();
    const messages = res.body.errors.map((e: { message: string }) => e.message).join('\n');
    expect(messages).toMatch(/image/);
    expect(messages).toMatch(/missing/);
    expect(res.body.errors.every((e: { line: number }) => e.line > 0)).toBe(true);
  });

  it('survives hostile YAML with a clear error', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const started = Date.now();
    const res = await validate(bomb);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a body without yaml_config', async () => {
    const res = await validate(42);
    expect(res.status).toBe(400);
    expect(res.body.details).toContainEqual({
      field: 'yaml_config',
      message: 'yaml_config must be a string',
    });
  });
});
