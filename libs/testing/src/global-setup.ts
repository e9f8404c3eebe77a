import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestDockerEngine, runningDockerHost } from './docker-engine';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startNatsServer } from './nats-server';

/**
 * Jest global setup: tests use DATABASE_URL / NATS_URL / DOCKER_HOST when they are set (or a
 * Docker Engine at /var/run/docker.sock); otherwise a real PostgreSQL (embedded-postgres), a
 * real nats-server with JetStream and Debian's dockerd are started here and their addresses
 * exported to every test worker.
 */
export default async function globalSetup(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'kiln-test-pg-')));
    process.env.DATABASE_URL = pg.url;
    stops.push(pg.stop);
  }
  if (!process.env.NATS_URL) {
    const nats = await startNatsServer();
    process.env.NATS_URL = nats.url;
    stops.push(nats.stop);
  }
  process.env.DOCKER_HOST = (await runningDockerHost()) ?? (await ensureTestDockerEngine());
  // Apps and in-process executors read local repositories only with these; createGitRepo makes
  // its repositories in the temporary directory.
  process.env.KILN_ALLOW_LOCAL_REPOS ??= 'true';
  process.env.KILN_LOCAL_REPO_ROOTS ??= tmpdir();
  (globalThis as { __kilnStops?: typeof stops }).__kilnStops = stops;
}
