import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { defaultMigrationsDir } from './migrations-dir';

/** The advisory lock key `prisma migrate` takes, so this runner and Prisma's exclude each other. */
export const MIGRATION_LOCK_KEY = 72707369;

export interface MigrateResult {
  /** Names of the migrations this call applied, in order (empty when already up to date). */
  applied: string[];
}

// The same table Prisma's schema engine creates, so either tool can continue after the other.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies pending `<dir>/<name>/migration.sql` files in name order, as `prisma migrate
 * deploy` does, without Prisma's native engine. Concurrent callers serialise on the
 * advisory lock; a migration that failed earlier stops everything until it is resolved.
 */
export async function migrate(
  databaseUrl: string,
  migrationsDir = defaultMigrationsDir(),
): Promise<MigrateResult> {
  const migrations = readMigrations(migrationsDir);
  const client = new Client({ connectionString: databaseUrl });
  // A connection cut between two statements makes pg emit 'error', which would end the process;
  // the next statement then fails on the closed connection, and migrate() rejects with that.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ migration_name: string; finished: boolean }>(
      `SELECT migration_name, finished_at IS NOT NULL AS finished
         FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const failed = rows.find((r) => !r.finished);
    if (failed) {
      throw new Error(
        `migration ${failed.migration_name} failed earlier; fix the database and mark it resolved ` +
          `(prisma migrate resolve) before applying more`,
      );
    }
    const done = new Set(rows.map((r) => r.migration_name));
    const applied: string[] = [];
    for (const m of migrations.filter((m) => !done.has(m.name))) {
      await applyOne(client, m);
      applied.push(m.name);
    }
    return { applied };
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end();
  }
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new Error(`migrations directory ${dir} does not exist`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    });
}

async function applyOne(client: Client, m: Migration): Promise<void> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, m.checksum, m.name],
  );
  try {
    // One simple-protocol query: PostgreSQL runs the whole script in one implicit transaction.
    await client.query(m.sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
    throw new Error(`migration ${m.name} failed: ${message}`, { cause: error });
  }
  await client.query(
    `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
    [id],
  );
}
