import { SecretBox } from '@kiln/crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_BOX } from '../src/common/secret-box.provider';
import { bearer, Gateway, startGateway, TestUser } from './gateway.harness';

describe('projects', () => {
  let gw: Gateway;
  let owner: TestUser;
  beforeAll(async () => {
    gw = await startGateway();
    owner = await gw.createUser();
  });
  afterAll(() => gw?.stop());

  const post = (token: string, body: object) => gw.http().post('/api/projects').set(bearer(token)).send(body);

  it('creates a project whose creator is admin, with a default repository-sourced pipeline', async () => {
    const res = await post(owner.token, {
      name: 'api-server',
      repo_url: 'git@github.com:acme/api-server.git',
      provider: 'github',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'api-server',
      repo_url: 'git@github.com:acme/api-server.git',
      repo_full_name: 'acme/api-server',
      provider: 'github',
      default_branch: 'main',
      role: 'admin',
      webhook_secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    const pipelines = await gw.http().get(`/api/projects/${res.body.id}/pipelines`).set(bearer(owner.token));
    expect(pipelines.body.items).toEqual([
      expect.objectContaining({ name: 'default', source: 'repository', config_path: '.platform.yaml' }),
    ]);
    const audit = await gw.prisma.auditLog.findFirstOrThrow({
      where: { action: 'project.create', projectId: res.body.id },
    });
    expect(audit).toMatchObject({
      actorId: owner.id,
      ip: expect.stringMatching(/127\.0\.0\.1/),
      targetType: 'project',
    });
  });

  it('takes the repository name webhooks are matched by from the caller when the URL is a mirror', async () => {
    const res = await post(owner.token, {
      name: 'mirrored',
      repo_url: 'https://git.internal.example/mirrors/acme-mirrored.git',
      repo_full_name: 'acme/mirrored',
      provider: 'github',
    });
    expect(res.status).toBe(201);
    expect(res.body.repo_full_name).toBe('acme/mirrored');
    const bad = await post(owner.token, {
      name: 'mirrored-2',
      repo_url: 'https://git.internal.example/x.git',
      repo_full_name: 'no slash here',
      provider: 'github',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('repo_full_name');
  });

  it('stores the webhook secret encrypted, bound to the project, and never returns a given one', async () => {
    const res = await post(owner.token, {
      name: 'hooked',
      repo_url: 'https://gitlab.com/g/sub/app',
      provider: 'gitlab',
      webhook_secret: 'a-long-shared-secret',
    });
    expect(res.status).toBe(201);
    expect(res.body.webhook_secret).toBeUndefined();
    expect(res.body.repo_full_name).toBe('g/sub/app');
    const row = await gw.prisma.project.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.webhookSecretEnc).not.toContain('a-long-shared-secret');
    expect(gw.app.get<SecretBox>(SECRET_BOX).decrypt(row.webhookSecretEnc!, res.body.id)).toBe(
      'a-long-shared-secret',
    );
  });

  it('answers 409 when the name is taken', async () => {
    await post(owner.token, { name: 'taken', repo_url: 'https://github.com/a/b', provider: 'github' });
    const again = await post(owner.token, {
      name: 'taken',
      repo_url: 'https://github.com/a/c',
      provider: 'github',
    });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'a project named "taken" already exists',
    });
  });

  it('refuses local repositories unless KILN_ALLOW_LOCAL_REPOS is on', async () => {
    const strict = await startGateway({ KILN_ALLOW_LOCAL_REPOS: 'false' });
    try {
      const res = await strict
        .http()
        .post('/api/projects')
        .set(bearer(strict.admin.token))
        .send({ name: 'local', repo_url: `file://${join(tmpdir(), 'repo')}`, provider: 'git' });
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([
        { field: 'repo_url', message: expect.stringContaining('KILN_ALLOW_LOCAL_REPOS is off') },
      ]);
    } finally {
      await strict.stop();
    }
    expect(
      (
        await post(owner.token, {
          name: 'local',
          repo_url: `file://${join(tmpdir(), 'repo')}`,
          provider: 'git',
        })
      ).status,
    ).toBe(201);
  });

  it('refuses local repositories outside KILN_LOCAL_REPO_ROOTS or inside its own data directory', async () => {
    for (const [repo_url, reason] of [
      ['file:///srv/repo', 'is outside the directories local repositories may be read from'],
      [`${tmpdir()}/../etc`, 'is outside the directories local repositories may be read from'],
      [join(gw.dataDir, 'git-cache', 'other.git'), "is inside the platform's own data directory"],
    ]) {
      const res = await post(owner.token, { name: 'local-out', repo_url, provider: 'git' });
      expect({ repo_url, status: res.status, details: res.body.details }).toEqual({
        repo_url,
        status: 400,
        details: [{ field: 'repo_url', message: expect.stringContaining(`repo_url ${reason}`) }],
      });
    }
  });

  it('refuses repository hosts the SSRF guard refuses, and credentials in the URL', async () => {
    for (const [repo_url, reason] of [
      ['https://127.0.0.1:6379/acme/api.git', 'repo_url host is a loopback address'],
      ['http://localhost:8080/acme/api.git', 'repo_url host is a loopback name'],
      ['ssh://git@[::1]:22/acme/api.git', 'repo_url host is a loopback address'],
      ['git://0x7f000001/acme/api', 'repo_url host is a loopback address'],
      ['git@10.0.0.1:acme/api.git', 'repo_url host is a private address'],
      ['https://169.254.169.254/latest', 'repo_url host is a cloud metadata address'],
      ['https://metadata.google.internal/x', 'repo_url host is a cloud metadata name'],
      [
        'https://ghp_secret@github.com/acme/api.git',
        'repo_url must not contain credentials: put credentials in a secret',
      ],
    ]) {
      const res = await post(owner.token, { name: 'ssrf', repo_url, provider: 'git' });
      expect({ repo_url, status: res.status, message: res.body.details?.[0]?.message }).toEqual({
        repo_url,
        status: 400,
        message: expect.stringContaining(reason),
      });
    }
    const { body: project } = await post(owner.token, {
      name: 'ssrf-later',
      repo_url: 'https://github.com/a/b',
      provider: 'git',
    });
    const patched = await gw
      .http()
      .patch(`/api/projects/${project.id}`)
      .set(bearer(owner.token))
      .send({ repo_url: 'https://user:token@github.com/a/b' });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toBe('repo_url must not contain credentials: put credentials in a secret');
  });

  it('lists only the projects the caller is a member of, newest first, page by page', async () => {
    const user = await gw.createUser();
    const names = ['one', 'two', 'three'].map((n) => `list-${n}`);
    for (const name of names)
      await post(user.token, { name, repo_url: 'https://github.com/a/b', provider: 'github' });
    const first = await gw.http().get('/api/projects?limit=2').set(bearer(user.token));
    expect(first.body.items.map((p: { name: string }) => p.name)).toEqual(['list-three', 'list-two']);
    const second = await gw
      .http()
      .get(`/api/projects?limit=2&cursor=${first.body.next_cursor}`)
      .set(bearer(user.token));
    expect(second.body).toEqual({
      items: [expect.objectContaining({ name: 'list-one' })],
      next_cursor: null,
    });
  });

  it('changes a project, re-deriving the repository name, for project admins only', async () => {
    const project = await gw.createProject(owner);
    const res = await gw.http().patch(`/api/projects/${project.id}`).set(bearer(owner.token)).send({
      repo_url: 'https://github.com/acme/renamed.git',
      default_branch: 'trunk',
      concurrency_limit: 2,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      repo_full_name: 'acme/renamed',
      default_branch: 'trunk',
      concurrency_limit: 2,
    });
    const writer = await gw.createUser();
    await gw
      .http()
      .post(`/api/projects/${project.id}/members`)
      .set(bearer(owner.token))
      .send({ user_id: writer.id, role: 'write' });
    const denied = await gw
      .http()
      .patch(`/api/projects/${project.id}`)
      .set(bearer(writer.token))
      .send({ default_branch: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('this needs the "admin" role on the project; yours is "write"');
  });

  it('deletes a project with its rows, but not while runs are active', async () => {
    const project = await gw.createProject(owner);
    const { runId } = await gw.insertRun(project.id, { status: 'running' });
    const busy = await gw.http().delete(`/api/projects/${project.id}`).set(bearer(owner.token));
    expect(busy.status).toBe(409);
    await gw.prisma.run.update({ where: { id: runId }, data: { status: 'cancelled' } });
    expect((await gw.http().delete(`/api/projects/${project.id}`).set(bearer(owner.token))).status).toBe(204);
    expect((await gw.http().get(`/api/projects/${project.id}`).set(bearer(owner.token))).status).toBe(404);
    expect(await gw.prisma.run.count({ where: { projectId: project.id } })).toBe(0);
  });
});
