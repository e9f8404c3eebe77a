# Kiln images: one Dockerfile, one target per image.
#
#   docker build --target gateway          -t kiln-gateway .
#   docker build --target webhook-receiver -t kiln-webhook-receiver .
#   docker build --target scheduler        -t kiln-scheduler .
#   docker build --target pod-executor     -t kiln-pod-executor .
#   docker build --target log-archiver     -t kiln-log-archiver .
#   docker build --target artifact-service -t kiln-artifact-service .
#   docker build --target helper           -t kiln-helper .
#
# Every app image holds its own compiled code and only the node_modules files that code loads
# (scripts/app-files.js traces them); they differ in the command, the exposed port and, for the
# scheduler and the executor, git (and bubblewrap for the executor's local backend). All run as
# uid 1000 (the image's `node` user), numerically so Kubernetes' runAsNonRoot can check it.
# Only classic Dockerfile syntax is used (no BuildKit-only mounts or heredocs), so the legacy
# builder that docker-compose v1 may drive builds it too. NODE_IMAGE and DEBIAN_IMAGE name the
# bases (the tests build them locally: libs/testing/src/base-images.ts).

ARG NODE_IMAGE=node:20-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG PNPM_VERSION=12.21.0

# ---- kiln-helper: the utility container of step pods (kubernetes backend) -------------------
# Clones the repository into the run's workspace volume (init container: sh, git, flock, find,
# sed) and holds the volume while the executor copies files out with `tar`. Debian's git without
# recommends on the slim base (flock, tar, find and sed are Debian essentials); no Node, no Kiln
# code. Runs as uid 1000 unless the pod says otherwise (the backend's helper uid). First in the
# file: the legacy builder builds every stage before its target, so `--target helper` builds only this.
# git depends on Perl (~46 MB) for commands the helper never runs (send-email, svn, cvs,
# instaweb); clone, fetch and checkout are C, so Perl's modules are purged again (perl-base, an
# essential package, stays). apt is not used afterwards in this image.
FROM ${DEBIAN_IMAGE} AS helper
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && dpkg --purge --force-depends perl liberror-perl $(dpkg-query -W -f '${Package} ' 'perl-modules-*' 'libperl5*') \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
USER 1000:1000
WORKDIR /workspace
CMD ["git", "--version"]

# ---- pnpm and the workspace manifests (the lockfile decides every version) ----------------
FROM ${NODE_IMAGE} AS pnpm
ARG PNPM_VERSION
ENV CI=true
RUN npm install -g "pnpm@${PNPM_VERSION}" && npm cache clean --force
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm applies these to dependencies at install (patchedDependencies in pnpm-workspace.yaml).
COPY patches patches
COPY tools/prisma-diff/package.json tools/prisma-diff/

# ---- build: all dependencies, the Prisma client, compiled apps and libs, the web UI ---------
FROM pnpm AS build
RUN pnpm install --frozen-lockfile
# tsconfig.json matters: Prisma's generator picks its import style (extensionless for CommonJS) from it.
COPY tsconfig.json tsconfig.base.json prisma.config.ts ./
COPY tools/prisma-stub-engine.sh tools/
COPY prisma prisma
COPY scripts/build.js scripts/prisma-generate.sh scripts/app-files.js scripts/
COPY libs libs
COPY apps apps
# Prisma 7 generates its client without a native engine (scripts/prisma-generate.sh points the
# CLI at a stub so nothing is downloaded); SWC compiles apps and libs into dist/.
RUN bash scripts/prisma-generate.sh --force && node scripts/build.js apps libs
# The web UI: static files the gateway serves from apps/web/dist.
RUN pnpm exec vite build --config apps/web/vite.config.mts
# Per app, /out/<app>: its files under dist/ and the node_modules files it can load, traced from
# its main.js (no devDependency, test harness or other app's code is reachable from there), the
# root package.json and prisma/migrations.
RUN node scripts/app-files.js /out gateway webhook-receiver scheduler pod-executor log-archiver artifact-service

# ---- runtime bases ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    KILN_DATA_DIR=/var/lib/kiln \
    KILN_MIGRATIONS_DIR=/app/prisma/migrations
RUN mkdir -p /var/lib/kiln && chown 1000:1000 /var/lib/kiln
WORKDIR /app

# Apps that run git (scheduler: definition fetch; executor: checkouts) get git and tini, which
# reaps the git helper processes that would otherwise linger as zombies under PID 1.
FROM runtime AS runtime-git
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- one target per app ----------------------------------------------------------------------
# No --enable-source-maps: it keeps every module's source map in memory, 12-18 MiB per app
# (bench/README.md, app-rss); stack traces name dist/ lines. NODE_OPTIONS=--enable-source-maps
# turns them back on for a debugging session.
# Node flags per app as in libs/launcher/src/node-settings.ts (NODE_FLAGS): a 2 MiB young generation
# (default 16: 13-20 MiB idle RSS saved per app) and Prisma's WebAssembly kept on Liftoff (no
# TurboFan copy: ~20 MiB in the gateway); the executor keeps a 4 MiB young generation for its log path,
# and the gateway a 4 MiB one and glibc's dynamic thresholds (its SSE log path, NODE_FLAGS).
# The apps that run Prisma's WebAssembly also get glibc malloc with two arenas instead of one per
# allocating thread and fixed trim/mmap thresholds, so large freed blocks go back to the system:
# 16-19 MiB less RSS each (APP_ENV there).
FROM runtime AS gateway
COPY --from=build /out/gateway /app
COPY --from=build /src/apps/web/dist /app/apps/web/dist
USER 1000:1000
EXPOSE 8080
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--liftoff-only", "dist/apps/gateway/src/main.js"]

FROM runtime AS webhook-receiver
COPY --from=build /out/webhook-receiver /app
USER 1000:1000
EXPOSE 8081
ENV MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072
CMD ["node", "--max-semi-space-size=2", "--liftoff-only", "dist/apps/webhook-receiver/src/main.js"]

FROM runtime-git AS scheduler
COPY --from=build /out/scheduler /app
USER 1000:1000
EXPOSE 8082
ENV MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072
CMD ["node", "--max-semi-space-size=2", "--liftoff-only", "dist/apps/scheduler/src/main.js"]

# The local backend runs steps in bubblewrap sandboxes that see this image's /usr as their
# toolchain; the kubernetes backend uses neither bubblewrap nor the local git.
FROM runtime-git AS pod-executor
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY --from=build /out/pod-executor /app
USER 1000:1000
EXPOSE 8083
CMD ["node", "--max-semi-space-size=4", "dist/apps/pod-executor/src/main.js"]

FROM runtime AS log-archiver
COPY --from=build /out/log-archiver /app
USER 1000:1000
EXPOSE 8084
ENV MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072
CMD ["node", "--max-semi-space-size=2", "--liftoff-only", "dist/apps/log-archiver/src/main.js"]

FROM runtime AS artifact-service
COPY --from=build /out/artifact-service /app
USER 1000:1000
EXPOSE 8085
ENV MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072
CMD ["node", "--max-semi-space-size=2", "--liftoff-only", "dist/apps/artifact-service/src/main.js"]
