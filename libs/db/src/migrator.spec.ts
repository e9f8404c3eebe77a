import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from './migrator';
import { defaultMigrationsDir } from './migrations-dir';
import { createScratchDatabase, ScratchDatabase } from './scratch-database.spec-helper';

const repoMigrations = join(__dirname, '../../../prisma/migrations');
const repoMigrationNames = readdirSync(repoMigrations, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

describe('migrate', () => {
  let db: ScratchDatabase;
  let dirs: string[] = [];

  beforeEach(async () => {
    db = await createScratchDatabase();
  });

  afterEach(async () => {
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  function migrationsDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-migrations-'));
    dirs.push(dir);
    for (const [name, sql] of Object.entries(files)) addMigration(dir, name, sql);
    return dir;
  }

  function addMigration(dir: string, name: string, sql: string): void {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }

  const rows = () =>
    db.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

  it('finds the repository migrations by default', () => {
    expect(defaultMigrationsDir()).toBe(repoMigrations);
  });

  it('applies every migration to an empty database and records it as Prisma does', async () => {
    const { applied } = await migrate(db.url);

    expect(applied).toEqual(repoMigrationNames);
    const recorded = await rows();
    expect(recorded.map((r) => r.migration_name)).toEqual(repoMigrationNames);
    for (const row of recorded) {
      const sql = readFileSync(join(repoMigrations, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
    const tables = await db.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['users', 'projects', 'runs', 'steps']),
    );
  });

  it('applies nothing the second time', async () => {
    await migrate(db.url);

    expect(await migrate(db.url)).toEqual({ applied: [] });
    expect(await rows()).toHaveLength(repoMigrationNames.length);
  });

  it('applies each migration once when two processes migrate at the same time', async () => {
    const results = await Promise.all([migrate(db.url), migrate(db.url)]);

    expect(results.flatMap((r) => r.applied).sort()).toEqual(repoMigrationNames);
    expect(await rows()).toHaveLength(repoMigrationNames.length);
  });

  it('applies only the migrations added since the last run', async () => {
    const dir = migrationsDir({ '20240101000000_a': 'CREATE TABLE a (id int);' });
    await migrate(db.url, dir);
    addMigration(dir, '20240102000000_b', 'CREATE TABLE b (id int);');

    expect(await migrate(db.url, dir)).toEqual({ applied: ['20240102000000_b'] });
  });

  it('rolls back a failing migration and refuses to continue until it is resolved', async () => {
    const dir = migrationsDir({
      '20240101000000_good': 'CREATE TABLE good (id int);',
      '20240102000000_bad': 'CREATE TABLE half (id int);\nSELECT * FROM missing_table;',
      '20240103000000_later': 'CREATE TABLE later (id int);',
    });

    await expect(migrate(db.url, dir)).rejects.toThrow(/20240102000000_bad failed: .*missing_table/);
    await expect(migrate(db.url, dir)).rejects.toThrow(/20240102000000_bad failed earlier/);

    const recorded = await rows();
    expect(recorded.map((r) => [r.migration_name, r.finished_at !== null])).toEqual([
      ['20240101000000_good', true],
      ['20240102000000_bad', false],
    ]);
    expect(recorded[1].logs).toMatch(/missing_table/);
    const tables = await db.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('half', 'later')",
    );
    expect(tables).toEqual([]);
  });
});
