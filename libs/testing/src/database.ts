import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { defaultMigrationsDir, migrate } from '@kiln/db';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as DATABASE_URL). */
  url: string;
  name: string;
  /** Terminates its connections and drops it. */
  drop(): Promise<void>;
}

// Serialises template creation across Jest workers and concurrent test runs on one server.
const TEMPLATE_LOCK_KEY = 72707370;

/**
 * A fresh, fully migrated database `kiln_t_<random>` on the server in DATABASE_URL.
 * It is cloned from a template migrated once per set of migrations (`kiln_tpl_<hash>`):
 * cloning is several times faster than migrating each test database.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is not set (the Jest globalSetup sets it)');
  const template = await ensureTemplate(adminUrl);
  const name = `kiln_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return { url: databaseUrlOf(adminUrl, name), name, drop: () => dropDatabase(adminUrl, name) };
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  return databaseUrlOf(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** The URL of database `name` on the server of `url`. */
export function databaseUrlOf(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let templateName: Promise<string> | undefined;

function ensureTemplate(adminUrl: string): Promise<string> {
  templateName ??= createTemplate(adminUrl).catch((error: unknown) => {
    templateName = undefined;
    throw error;
  });
  return templateName;
}

async function createTemplate(adminUrl: string): Promise<string> {
  const dir = defaultMigrationsDir();
  const name = `kiln_tpl_${migrationsHash(dir)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return name;
    // Migrated under another name and renamed, so a template that exists is always complete.
    const building = `${name}_building`;
    await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${building}"`);
    await migrate(databaseUrlOf(adminUrl, building), dir);
    await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    return name;
  } finally {
    await admin.end();
  }
}

function migrationsHash(dir: string): string {
  const hash = createHash('sha256');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort();
  for (const name of names) hash.update(name).update(readFileSync(join(dir, name, 'migration.sql')));
  return hash.digest('hex').slice(0, 12);
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
