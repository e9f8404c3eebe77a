#!/usr/bin/env bash
# Generates the Prisma 7 client into libs/db/src/generated without network access:
# generation needs no engine, but the CLI looks for (and would download) one unless
# PRISMA_SCHEMA_ENGINE_BINARY names it, so it points at a stub that fails loudly.
# Skips the work when schema.prisma and the Prisma version are unchanged since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

out=libs/db/src/generated
stamp="$out/.schema-hash"
hash="$(cat prisma/schema.prisma node_modules/prisma/package.json | sha256sum | cut -d' ' -f1)"
if [[ "${1:-}" != "--force" && -f "$stamp" && "$(cat "$stamp")" == "$hash" && -f "$out/client.ts" ]]; then
  echo "prisma client up to date ($out)"
  exit 0
fi

export PRISMA_SCHEMA_ENGINE_BINARY="$PWD/tools/prisma-stub-engine.sh"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 PRISMA_DISABLE_WARNINGS=1
rm -rf "$out"
node_modules/.bin/prisma generate --schema prisma/schema.prisma
echo "$hash" >"$stamp"
