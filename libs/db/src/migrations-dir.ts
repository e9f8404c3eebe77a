import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * prisma/migrations of this repository. Found by walking up to the directory holding
 * prisma/schema.prisma, so it works from the sources (jest) and from dist/ alike;
 * `KILN_MIGRATIONS_DIR` overrides it where the repository layout is absent (images).
 */
export function defaultMigrationsDir(): string {
  const fromEnv = process.env.KILN_MIGRATIONS_DIR;
  if (fromEnv) return resolve(fromEnv);
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'prisma', 'schema.prisma'))) return join(dir, 'prisma', 'migrations');
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(
    `prisma/schema.prisma not found above ${__dirname} or ${process.cwd()}: set KILN_MIGRATIONS_DIR`,
  );
}
