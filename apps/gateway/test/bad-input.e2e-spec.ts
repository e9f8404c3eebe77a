import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('bad input', () => {
  let gw: Gateway;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
    projectId = (await gw.createProject(owner)).id;
  });
  afterAll(() => gw?.stop());

  const valid = { name: 'fine', repo_url: 'https://github.com/a/b', provider: 'github' };
  const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field).sort();

  it.each([
    ['wrong types', { name: 123, repo_url: true, provider: 'svn' }, ['name', 'provider', 'repo_url']],
    ['an unknown field', { ...valid, is_admin: true }, ['is_admin']],
    [
      'a prototype key',
      JSON.parse(
        `{"name":"fine","repo_url":"https://github.com/a/b","provider":"github","__proto__":{"isAdmin":true}}`,
      ),
      ['__proto__'],
    ],
    ['an operator object instead of a string', { ...valid, name: { $gt: '' } }, ['name']],
    ['a SQL-looking name', { ...valid, name: "x'; DROP TABLE projects;--" }, ['name']],
    ['a 10 000 character name', { ...valid, name: 'a'.repeat(10_000) }, ['name']],
    ['missing required fields', {}, ['name', 'provider', 'repo_url']],
  ])('answers 400 naming the field for %s', async (_, body, expected) => {
    const res = await gw.http().post('/api/projects').set(bearer(owner.token)).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect([...new Set(fields(res.body))]).toEqual(expected);
  });

  describe('control characters', () => {
    const nul = 'a\u0000b';
    const problem = (res: { body: { message?: string } }, field: string) =>
      expect(res.body.message).toContain(`${field} must not contain control characters`);

    it.each([
      ['a user name', 'post', '/api/users', { name: nul, email: 'nul@example.com' }, 'name'],
      ['a token name', 'post', '/api/tokens', { name: nul }, 'name'],
      ['a pipeline name', 'post', '/api/projects/{id}/pipelines', { name: nul }, 'name'],
      [
        'an escape in a cancel reason',
        'post',
        '/api/projects/{id}/runs/{rid}/cancel',
        { reason: 'x\u001b[2J' },
        'reason',
      ],
      [
        'a NUL in a definition',
        'post',
        '/api/pipelines/validate',
        { yaml_config: `pipeline:\n  steps: []\u0000` },
        'yaml_config',
      ],
      ['a NUL in a secret value', 'put', '/api/projects/{id}/secrets/NUL', { value: nul }, 'value'],
    ] as const)('answers 400 naming the field for %s', async (_, method, path, body, field) => {
      const { runId } = await gw.insertRun(projectId, { status: 'running' });
      const url = path.replace('{id}', projectId).replace('{rid}', runId);
      const token = url === '/api/users' ? gw.admin.token : owner.token;
      const res = await gw.http()[method](url).set(bearer(token)).send(body);
      expect(res.status).toBe(400);
      expect(fields(res.body)).toEqual([field]);
      problem(res, field);
    });

    it.each([
      ['branch', 'get', '/api/projects/{id}/runs?branch=a%00b'],
      ['ref', 'get', '/api/projects/{id}/runs?ref=%00'],
      ['pipeline', 'get', '/api/runs?pipeline=x%00'],
      ['cursor', 'get', '/api/projects?cursor=%00'],
      ['name', 'delete', '/api/projects/{id}/secrets/A%00B'],
      ['pid', 'get', '/api/projects/{id}/pipelines/%00'],
    ] as const)('answers 400 for a NUL in the %s parameter', async (field, method, path) => {
      const res = await gw.http()[method](path.replace('{id}', projectId)).set(bearer(owner.token));
      expect(res.status).toBe(400);
      problem(res, field);
    });

    it('keeps tabs and line breaks in multi-line text', async () => {
      const description = 'line one\r\n\tline two';
      const created = await gw
        .http()
        .post(`/api/projects/${projectId}/pipelines`)
        .set(bearer(owner.token))
        .send({ name: 'multiline', description });
      expect(created.status).toBe(201);
      expect(created.body.description).toBe(description);
      const named = await gw
        .http()
        .post(`/api/projects/${projectId}/pipelines`)
        .set(bearer(owner.token))
        .send({ name: 'tab\tname' });
      expect(named.status).toBe(400);
      problem(named, 'name');
    });
  });

  describe('cursors', () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it.each([
      ['/api/projects', cursor(['-200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
      ['/api/projects', cursor(['+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
      ['/api/tokens', 'not-a-cursor'],
      ['/api/users', cursor([42])],
      ['/api/projects/{id}/runs', cursor(['2030-01-01T00:00:00.000Z', 'not-a-uuid'])],
      ['/api/projects/{id}/pipelines', cursor({ createdAt: 1 })],
      ['/api/runs', '%FF%FE'],
      ['/api/audit', cursor(['2030-01-01T00:00:00.000Z', '9999999999999999999'])],
    ])('answers 400 for a cursor outside its domain on %s', async (path, value) => {
      const url = `${path.replace('{id}', projectId)}?cursor=${value}`;
      const token = path === '/api/users' || path === '/api/audit' ? gw.admin.token : owner.token;
      const res = await gw.http().get(url).set(bearer(token));
      expect(res.status).toBe(400);
      expect(fields(res.body)).toEqual(['cursor']);
      expect(res.body.message).toBe('cursor is not a next_cursor this API returned');
    });
  });

  it.each(['../../evil', 'acme/../../evil', '/acme/app', 'acme/app/', 'acme'])(
    'refuses the repo_full_name %s with 400',
    async (repo_full_name) => {
      const res = await gw
        .http()
        .post('/api/projects')
        .set(bearer(owner.token))
        .send({ ...valid, repo_full_name });
      expect(res.status).toBe(400);
      expect(fields(res.body)).toEqual(['repo_full_name']);
      expect(res.body.message).toContain('repo_full_name must look like "owner/name"');
      const update = await gw
        .http()
        .patch(`/api/projects/${projectId}`)
        .set(bearer(owner.token))
        .send({ repo_full_name });
      expect(update.status).toBe(400);
    },
  );

  it('routes no webhooks by a name derived from a traversing repository path', async () => {
    const res = await gw
      .http()
      .post('/api/projects')
      .set(bearer(owner.token))
      .send({ ...valid, name: 'derived-traversal', repo_url: 'git@github.com:../../evil.git' });
    expect(res.status).toBe(201);
    expect(res.body.repo_full_name).toBeNull();
  });

  it('names the unknown field in the message', async () => {
    const res = await gw
      .http()
      .post('/api/projects')
      .set(bearer(owner.token))
      .send({ ...valid, colour: 'red' });
    expect(res.body.message).toBe('property colour should not exist');
  });

  it.each([
    ['a JSON array', '[1,2]'],
    ['malformed JSON', '{"name": '],
    ['a bare string', '"project"'],
  ])('answers 400 for %s as the body', async (_, raw) => {
    const res = await gw
      .http()
      .post('/api/projects')
      .set(bearer(owner.token))
      .set('Content-Type', 'application/json')
      .send(raw);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('answers 413 JSON for a body over the limit', async () => {
    const res = await gw
      .http()
      .post('/api/pipelines/validate')
      .set(bearer(owner.token))
      .send({ yaml_config: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await gw
      .http()
      .post('/api/projects')
      .set(bearer(owner.token))
      .set('Content-Type', 'text/plain')
      .send('name=x');
    expect(res.status).toBe(415);
    expect(res.body.message).toContain('application/json');
  });

  it.each([
    ['/api/projects/not-a-uuid', 'id'],
    ['/api/projects/1%27%20OR%201=1', 'id'],
    [`/api/projects/{id}/runs/42`, 'rid'],
    [`/api/projects/{id}/runs/00000000-0000-4000-8000-000000000000/steps/..%2F..%2Fetc/logs`, 'sid'],
    [`/api/projects/{id}/pipelines/1%3B%20DROP`, 'pid'],
  ])('answers 400 for the malformed id in %s', async (path, field) => {
    const res = await gw.http().get(path.replace('{id}', projectId)).set(bearer(owner.token));
    expect(res.status).toBe(400);
    expect(fields(res.body)).toContain(field);
    expect(res.body.message).toContain(`${field} must be a UUID`);
  });

  it.each([
    ['an unknown query parameter', '/api/projects?colour=red', 'colour'],
    ['a limit past 100', '/api/projects?limit=1000', 'limit'],
    ['an absurd number', '/api/projects?limit=1e309', 'limit'],
    ['a repeated parameter', '/api/projects?limit=1&limit=2', 'limit'],
  ])('answers 400 for %s', async (_, path, field) => {
    const res = await gw.http().get(path).set(bearer(owner.token));
    expect(res.status).toBe(400);
    expect(fields(res.body)).toContain(field);
  });

  it('treats SQL in filters and values as plain text', async () => {
    const runs = await gw
      .http()
      .get(`/api/projects/${projectId}/runs?branch=${encodeURIComponent("' OR 1=1 --")}`)
      .set(bearer(owner.token));
    expect(runs.status).toBe(200);
    expect(runs.body.items).toEqual([]);
    const description = "'); DELETE FROM projects; --";
    const created = await gw
      .http()
      .post(`/api/projects/${projectId}/pipelines`)
      .set(bearer(owner.token))
      .send({ name: 'sqlish', description });
    expect(created.body.description).toBe(description);
    const secret = await gw
      .http()
      .put(`/api/projects/${projectId}/secrets/SQL`)
      .set(bearer(owner.token))
      .send({ value: "' OR '1'='1" });
    expect(secret.status).toBe(200);
    expect(await gw.prisma.project.count()).toBeGreaterThan(0);
  });

  it('refuses control characters and option-like refs in git_ref', async () => {
    const pid = (await gw.prisma.pipeline.findFirstOrThrow({ where: { projectId } })).id;
    for (const git_ref of ['main\nrm -rf /', '-x', 'refs/heads/../../etc', 'a'.repeat(300), 42]) {
      const res = await gw
        .http()
        .post(`/api/projects/${projectId}/pipelines/${pid}/runs`)
        .set(bearer(owner.token))
        .send({ git_ref });
      expect(res.status).toBe(400);
      expect(fields(res.body)).toContain('git_ref');
    }
  });

  it('refuses a wrong type for booleans and enums in nested routes', async () => {
    const member = await gw
      .http()
      .post(`/api/projects/${projectId}/members`)
      .set(bearer(owner.token))
      .send({ user_id: owner.id, role: 'owner' });
    expect(member.status).toBe(400);
    expect(member.body.message).toBe('role must be one of: read, write, admin');
    const { runId } = await gw.insertRun(projectId);
    const retry = await gw
      .http()
      .post(`/api/projects/${projectId}/runs/${runId}/retry`)
      .set(bearer(owner.token))
      .send({ failed_only: 'yes' });
    expect(retry.status).toBe(400);
    expect(fields(retry.body)).toEqual(['failed_only']);
  });
});
