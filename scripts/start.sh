#!/usr/bin/env bash
# The embedded platform on one machine, in one command: installs what is missing (setup.sh),
# then starts PostgreSQL and NATS when DATABASE_URL / NATS_URL are unset, a filesystem object
# store and the local executor under KILN_DATA_DIR, and the six apps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --enable-source-maps dist/scripts/embedded.js
