// Prisma 7 CLI configuration. The URL is read directly (not with `env()`) so commands
// that need no database, such as `prisma generate`, work when DATABASE_URL is unset.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
