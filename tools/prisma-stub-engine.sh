#!/bin/sh
# Stands in for Prisma's native schema/query engine, which this project never downloads
# (its host is unreachable here). Failing loudly beats an empty file, with which some
# commands exit 0 having done nothing.
echo "prisma-stub-engine: Prisma's native engine is not installed in Kiln (offline build)." >&2
echo "  generate the client: pnpm prisma:generate" >&2
echo "  create a migration:  node tools/prisma-diff/diff.js --create <name>" >&2
echo "  apply migrations:    the @kiln/db migrator runs at start-up (see docs/database.md)" >&2
exit 1
