import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { tmpdir } from 'node:os';
import { Platform, startPlatform } from '../platform';

jest.setTimeout(120_000);

interface ErrorJson {
  statusCode: number;
  message: string;
  token?: string;
  token_id?: string;
}

/**
 * A hostile tenant against the running platform: every attempt is refused with a 4xx and a
 * sentence naming the reason, nothing answers 5xx, and the platform is healthy afterwards.
 */
describe('gateway input and auth hardening, probed as a hostile tenant', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let tenant: string;
  let projectId: string;
  const statuses: number[] = [];

  const call = async (method: string, path: string, body?: unknown, token = tenant) => {
    const res = await platform.api<ErrorJson>(method, path, body, token);
    statuses.push(res.status);
    return res;
  };
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  beforeAll(async () => {
    platform = await startPlatform({ KILN_AUTH_FAILURE_LIMIT: '5', KILN_LOCAL_REPO_ROOTS: tmpdir() });
    repo = createGitRepo();
    repo.commit({ 'README.md': 'probe\n' });
    const user = await platform.api<{ token: string }>('POST', '/api/users', {
      name: 'mallory',
      email: 'mallory@example.com',
    });
    tenant = user.body.token;
    const project = await platform.api<{ id: string }>(
      'POST',
      '/api/projects',
      { name: 'probe', repo_url: repo.url, repo_full_name: 'acme/probe', provider: 'github' },
      tenant,
    );
    if (project.status !== 201) throw new Error(`project not created: ${JSON.stringify(project.body)}`);
    projectId = project.body.id;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  it.each([
    ['a NUL in a user name', 'POST', '/api/users', { name: 'a\u0000', email: 'n@example.com' }, 'name'],
    ['a NUL in a token name', 'POST', '/api/tokens', { name: 'a\u0000' }, 'name'],
    ['a NUL in a pipeline name', 'POST', '/api/projects/{id}/pipelines', { name: 'p\u0000' }, 'name'],
    ['a NUL in a run branch filter', 'GET', '/api/projects/{id}/runs?branch=a%00', undefined, 'branch'],
    ['a NUL in a run ref filter', 'GET', '/api/runs?ref=%00', undefined, 'ref'],
    ['a NUL in a pipeline filter', 'GET', '/api/runs?pipeline=%00', undefined, 'pipeline'],
    ['a NUL in a path parameter', 'GET', '/api/projects/{id}/pipelines/%00', undefined, 'pid'],
    ['an escape sequence in a secret name', 'PUT', '/api/projects/{id}/secrets/A%1B', { value: 'v' }, 'name'],
  ])('refuses %s with 400 naming the field', async (_, method, path, body, field) => {
    // Creating users is for admins: the admin's token shows the rule applies past authorization.
    const token = path === '/api/users' ? platform.adminToken : tenant;
    const res = await call(method, path.replace('{id}', projectId), body, token);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(`${field} must not contain control characters`);
  });

  it.each([
    [
      'an out-of-range cursor',
      cursor(['-200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
    ],
    ['a malformed cursor', 'bm90LWEtY3Vyc29y'],
  ])('refuses %s with 400', async (_, value) => {
    for (const path of ['/api/projects', '/api/tokens', `/api/projects/${projectId}/runs`, '/api/runs']) {
      const res = await call('GET', `${path}?cursor=${value}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('cursor is not a next_cursor this API returned');
    }
  });

  it('refuses a definition holding an escaped NUL in an artifact path', async () => {
    const yaml = [
      'pipeline:',
      '  steps:',
      '    - { name: build, image: alpine:3, commands: [echo hi] }',
      '  artifacts:',
      '    - { name: out, path: "dist\\0/x" }',
    ].join('\n');
    const res = await call('POST', `/api/projects/${projectId}/pipelines`, {
      name: 'nul-path',
      yaml_config: yaml,
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('control character U+0000');
  });

  it('refuses a child token outliving its parent and a read token revoking a write token', async () => {
    const parent = await call('POST', '/api/tokens', { name: 'week', expires_in_days: 7 });
    const later = await call(
      'POST',
      '/api/tokens',
      { name: 'forever', expires_in_days: 3650 },
      parent.body.token,
    );
    expect(later.status).toBe(400);
    expect(later.body.message).toContain('a token it creates cannot expire later');
    const readOnly = await call('POST', '/api/tokens', { name: 'ro', scopes: ['project:read'] });
    const me = await call('GET', '/api/me');
    const tokenId = me.body.token_id;
    const revoke = await call('DELETE', `/api/tokens/${tokenId}`, undefined, readOnly.body.token);
    expect(revoke.status).toBe(403);
    expect(revoke.body.message).toContain('cannot revoke a token with scopes it lacks');
  });

  it('refuses a traversing repo_full_name', async () => {
    const res = await call('PATCH', `/api/projects/${projectId}`, { repo_full_name: '../../evil' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('repo_full_name must look like "owner/name"');
  });

  it('limits failed authentication per address whatever token or forwarded address is sent', async () => {
    const gateway = platform.apps.url('gateway');
    const attempt = async (i: number) => {
      const res = await fetch(`${gateway}/api/me`, {
        headers: { authorization: `Bearer kiln_fake${i}`, 'x-forwarded-for': `203.0.113.${i}` },
      });
      statuses.push(res.status);
      return { status: res.status, body: (await res.json()) as ErrorJson };
    };
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await attempt(i));
    expect(results.slice(0, 5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(results[5]!.status).toBe(429);
    expect(results[5]!.body.message).toContain('too many failed authentications from this address');
  });

  it('answered no probe with a 5xx, and the platform is healthy afterwards', async () => {
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    for (const app of ['gateway', 'webhook-receiver', 'scheduler'] as const) {
      const res = await fetch(`${platform.apps.url(app)}/readyz`);
      expect(res.status).toBe(200);
    }
  });
});
