import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

/** The pg driver adapter the Prisma 7 client runs on (it has no native query engine). */
export function createPgAdapter(databaseUrl: string, opts: { poolMax?: number } = {}): PrismaPg {
  return new PrismaPg({ connectionString: databaseUrl, max: opts.poolMax });
}

/** A Prisma client outside Nest (scripts, tests, benchmarks); call `$disconnect()` when done. */
export function createPrismaClient(databaseUrl: string, opts: { poolMax?: number } = {}): PrismaClient {
  return new PrismaClient({ adapter: createPgAdapter(databaseUrl, opts) });
}
