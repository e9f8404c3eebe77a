import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Platform, startPlatform } from '../platform';

jest.setTimeout(120_000);

interface ErrorJson {
  message: string;
  details?: { field: string; message: string }[];
}

const CANNOT_FETCH = 'cannot fetch the repository: it does not exist, is not reachable, or needs credentials';
const oneStep = 'pipeline:\n  steps:\n    - { name: build, image: node:20, commands: ["echo built"] }\n';

/**
 * A hostile tenant naming addresses behind the platform: webhook URLs and repository URLs that
 * lead to loopback, private and metadata addresses, redirects, and local paths. Nothing here
 * ever sends a packet to a private-range or metadata address: the guard refuses first, and the
 * only listeners are this test's own on 127.0.0.1, allowed by name in the second platform only.
 */
describe('SSRF, probed as a hostile tenant', () => {
  const statuses: number[] = [];
  let repo: TestGitRepo;

  beforeAll(() => {
    repo = createGitRepo();
    repo.commit({ 'README.md': 'probe\n' });
  });
  afterAll(() => repo?.remove());

  describe('with no private hosts allowed', () => {
    let platform: Platform;
    let tenant: string;
    let projectId: string;

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await platform.api<ErrorJson>(method, path, body, tenant);
      statuses.push(res.status);
      return res;
    };

    beforeAll(async () => {
      platform = await startPlatform({ KILN_LOCAL_REPO_ROOTS: tmpdir(), KILN_ALLOWED_PRIVATE_HOSTS: '' });
      tenant = (
        await platform.api<{ token: string }>('POST', '/api/users', {
          name: 'mallory',
          email: 'm@example.com',
        })
      ).body.token;
      const project = await call('POST', '/api/projects', {
        name: 'probe',
        repo_url: repo.url,
        provider: 'git',
      });
      if (project.status !== 201) throw new Error(`project not created: ${JSON.stringify(project.body)}`);
      projectId = (project.body as unknown as { id: string }).id;
    }, 180_000);
    afterAll(() => platform?.stop());

    it.each([
      ['http://127.0.0.1:5432/', 'is a loopback address'],
      ['http://localhost:4222/', 'is a loopback name'],
      ['http://[::1]:8080/', 'is a loopback address'],
      ['http://[::ffff:127.0.0.1]:8080/', 'is a loopback address'],
      ['http://0x7f000001:8082/', 'is a loopback address'],
      ['http://10.0.0.1/', 'is a private address'],
      ['http://172.16.0.1/', 'is a private address'],
      ['http://100.64.0.1/', 'is a carrier-grade NAT address'],
      ['http://169.254.169.254/latest/meta-data/', 'is a cloud metadata address'],
      ['http://[fd00:ec2::254]/', 'is a cloud metadata address'],
      ['http://metadata.google.internal/computeMetadata/v1/', 'is a cloud metadata name'],
      ['http://0.0.0.0:8080/', 'is an unspecified address'],
    ])('refuses a webhook to %s: the host %s', async (url, reason) => {
      const res = await call('POST', `/api/projects/${projectId}/webhooks`, {
        url,
        events: ['build.success'],
      });
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([
        { field: 'url', message: expect.stringContaining(`url host ${reason}`) },
      ]);
    });

    it.each([
      ['https://127.0.0.1:6379/acme/api.git', 'repo_url host is a loopback address'],
      ['http://[::1]:5432/acme/api.git', 'repo_url host is a loopback address'],
      ['git://2130706433:9418/acme/api', 'repo_url host is a loopback address'],
      ['ssh://git@10.1.2.3:22/acme/api.git', 'repo_url host is a private address'],
      ['git@192.168.0.10:acme/api.git', 'repo_url host is a private address'],
      ['https://169.254.169.254/acme/api.git', 'repo_url host is a cloud metadata address'],
      [
        'https://ghp_0123456789@github.com/acme/api.git',
        'repo_url must not contain credentials: put credentials in a secret',
      ],
      ['file:///etc', 'repo_url is outside the directories local repositories may be read from'],
      [`${tmpdir()}/../etc`, 'repo_url is outside the directories local repositories may be read from'],
    ])('refuses repo_url %s', async (repo_url, reason) => {
      const created = await call('POST', '/api/projects', { name: 'ssrf-repo', repo_url, provider: 'git' });
      expect(created.status).toBe(400);
      expect(created.body.details).toEqual([{ field: 'repo_url', message: expect.stringContaining(reason) }]);
      const changed = await call('PATCH', `/api/projects/${projectId}`, { repo_url });
      expect(changed.status).toBe(400);
      expect(changed.body.message).toContain(reason);
    });

    it("refuses the platform's own git cache as a repository", async () => {
      const cache = `file://${join(platform.dataDir, 'git-cache', `${projectId}.git`)}`;
      const res = await call('POST', '/api/projects', {
        name: 'steal-cache',
        repo_url: cache,
        provider: 'git',
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe("repo_url is inside the platform's own data directory");
    });

    it('answered no probe with a 5xx, and the platform is healthy afterwards', async () => {
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      for (const app of ['gateway', 'scheduler'] as const) {
        expect((await fetch(`${platform.apps.url(app)}/readyz`)).status).toBe(200);
      }
    });
  });

  describe('with the test listener on 127.0.0.1 allowed', () => {
    let platform: Platform;
    let server: Server;
    let port: number;
    let closedPort: number;
    const received: IncomingMessage[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        received.push(req);
        if (req.url === '/hook') res.writeHead(302, { location: `http://127.0.0.1:${port}/followed` }).end();
        else res.writeHead(404).end('nothing here');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      closedPort = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      platform = await startPlatform({
        KILN_LOCAL_REPO_ROOTS: tmpdir(),
        KILN_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
      });
    }, 180_000);
    afterAll(async () => {
      await platform?.stop();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('tells a tenant nothing about which port is open: git errors become one fixed sentence', async () => {
      const errors: (string | null)[] = [];
      for (const [name, url] of [
        ['open-port', `http://127.0.0.1:${port}/acme/api.git`],
        ['closed-port', `http://127.0.0.1:${closedPort}/acme/api.git`],
      ]) {
        const project = await platform.api<{ id: string }>('POST', '/api/projects', {
          name,
          repo_url: url,
          provider: 'git',
        });
        expect(project.status).toBe(201);
        const pipelineId = await platform.createPipeline(project.body.id, {
          name: 'ci',
          yaml_config: oneStep,
        });
        const started = await platform.startRun(project.body.id, pipelineId, 'main');
        const run = await platform.waitForRun(project.body.id, started.id);
        expect(run.status).toBe('failed');
        errors.push(run.error);
      }
      expect(errors).toEqual([
        `cannot resolve main: ${CANNOT_FETCH}`,
        `cannot resolve main: ${CANNOT_FETCH}`,
      ]);
    });

    it('does not follow a webhook redirect, and shows the tenant a fixed sentence', async () => {
      const { id } = await platform.createProject({ name: 'hooked', repo, provider: 'git' });
      const hook = await platform.api<{ id: string }>('POST', `/api/projects/${id}/webhooks`, {
        url: `http://127.0.0.1:${port}/hook`,
        events: ['build.success', 'build.failure'],
      });
      expect(hook.status).toBe(201);
      const pipelineId = await platform.createPipeline(id, { name: 'ci', yaml_config: oneStep });
      const started = await platform.startRun(id, pipelineId, 'main');
      await platform.waitForRun(id, started.id);
      const deadline = Date.now() + 20_000;
      let shown: { last_status_code: number | null; last_error: string | null } | undefined;
      while (Date.now() < deadline && !shown?.last_status_code) {
        shown = (await platform.api<typeof shown>('GET', `/api/projects/${id}/webhooks/${hook.body.id}`))
          .body;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(shown).toMatchObject({
        last_status_code: 302,
        last_error: 'answered 302, a redirect; redirects are not followed',
      });
      expect(received.map((r) => r.url)).not.toContain('/followed');
    });
  });
});
