#!/usr/bin/env bash
# Every check: types, lint, and all tests (unit and e2e) against real PostgreSQL, NATS
# JetStream, an S3 server process, git and bubblewrap. Run scripts/setup.sh first once.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
bash scripts/prisma-generate.sh >/dev/null
node scripts/build.js >/dev/null
echo "== typecheck" && pnpm exec tsc -p tsconfig.json && pnpm exec tsc -p apps/web/tsconfig.json
# The module-boundary rule needs the project graph; without it the rule is silently skipped.
pnpm exec nx show projects >/dev/null
echo "== lint" && pnpm exec eslint --max-warnings=0 .
echo "== tests" && pnpm exec jest --ci --maxWorkers=2 "$@"
