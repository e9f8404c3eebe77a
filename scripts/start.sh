#!/usr/bin/env bash
# The embedded platform on one machine: PostgreSQL and NATS started when DATABASE_URL /
# NATS_URL are unset, a filesystem object store and the local executor under KILN_DATA_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prisma-generate.sh >/dev/null
node scripts/build.js >/dev/null
exec node --enable-source-maps dist/scripts/embedded.js
