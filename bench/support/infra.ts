import {
  ensureTestDockerEngine,
  runningDockerHost,
  startEmbeddedPostgres,
  startNatsServer,
} from '@kiln/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * PostgreSQL, NATS and a Docker Engine for the benchmarks: DATABASE_URL / NATS_URL / DOCKER_HOST
 * when set (or an engine at /var/run/docker.sock), otherwise an embedded PostgreSQL, a nats-server
 * with JetStream and the tests' dockerd started here (like Jest's global setup). Their addresses
 * are exported to process.env so every benchmark and every app it starts uses them.
 */
export async function ensureInfrastructure(): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  if (!process.env.DATABASE_URL) {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-pg-'));
    const pg = await startEmbeddedPostgres(dir);
    process.env.DATABASE_URL = pg.url;
    stops.push(async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    });
  }
  if (!process.env.NATS_URL) {
    const nats = await startNatsServer();
    process.env.NATS_URL = nats.url;
    stops.push(() => nats.stop());
  }
  process.env.DOCKER_HOST = (await runningDockerHost()) ?? (await ensureTestDockerEngine());
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
