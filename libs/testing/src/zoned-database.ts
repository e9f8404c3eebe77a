import { PrismaService } from '@kiln/db';
import { createTestDatabase } from './database';

/**
 * A fresh test database with two clients: `prisma`, whose sessions run in UTC, and `zoned`, whose
 * sessions run in America/St_Johns (UTC−3:30), where a `timestamp` column written or read without
 * `AT TIME ZONE 'UTC'` shows. For specs comparing hand-written SQL with what Prisma did.
 */
export interface ZonedDatabase {
  prisma: PrismaService;
  zoned: PrismaService;
  /** Closes both clients and drops the database. */
  close(): Promise<void>;
}

export async function createZonedDatabase(): Promise<ZonedDatabase> {
  const db = await createTestDatabase();
  const url = new URL(db.url);
  url.searchParams.set('options', '-c TimeZone=America/St_Johns');
  const prisma = new PrismaService({ url: db.url });
  const zoned = new PrismaService({ url: url.toString() });
  return {
    prisma,
    zoned,
    close: async () => {
      await zoned.onModuleDestroy();
      await prisma.onModuleDestroy();
      await db.drop();
    },
  };
}
