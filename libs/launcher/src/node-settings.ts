import type { AppName } from './app-launcher';

// How each app's Node.js process is started, here (`pnpm start`, tests, benchmarks) and in the
// images (Dockerfile: each target's CMD and ENV; the chart and compose run the images' commands).
// The figures below are idle RSS saved per app in `pnpm bench app-rss` at KILN_BENCH_SCALE=0.2 on
// a 2-core host at load 15-35 (runs vary by ±10 MiB).

/**
 * V8's young generation: by default each semi-space grows to 16 MiB, so 32-48 MiB of every app
 * is a young generation that a service at rest does not need (it grows during start and is never
 * given back). 2 MiB saved 13-20 MiB per control app with no CPU cost visible in webhook-ingest's
 * receiver CPU per delivery. The executor keeps 4: its log path allocates 64 KiB strings that die
 * young, and 4 cost ~20 % less CPU per MiB of log than 16 (bench/README.md, log-flood).
 */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=2';

/**
 * Prisma 7 compiles queries in WebAssembly; V8 first compiles it with Liftoff, then recompiles the
 * hot functions with TurboFan in background threads, keeping both codes (~15-20 MiB more once a few
 * query shapes ran). Liftoff only: gateway 136 → 116 MiB idle, no CPU cost per query visible in
 * 2 000 Prisma queries (0.85-1.07 ms vs 0.94-1.42 ms on a loaded host). Apps without Prisma
 * (the executor) compile no WebAssembly.
 */
const WASM_WITHOUT_TIER_UP = '--liftoff-only';

/**
 * The gateway keeps glibc's dynamic mmap threshold and a 4 MiB young generation: it turns log
 * chunks into SSE text, and in log-flood on a quiet host (load 2-5, runs interleaved) its CPU per
 * MiB followed was 17-25 ms with neither setting, 19-29 with the 2 MiB young generation alone,
 * 29-34 with the fixed malloc thresholds alone and 26-40 with both (write → SSE p99 up to 1.1 s).
 * 4 MiB against V8's default 16 (6 interleaved runs each, load 7-25): 21.5-35.2 ms per MiB (median
 * 28) against 21-35.5 (median 28), and 8 MiB 18.7-31 (median 26); idle RSS in app-rss 109 MiB
 * with 4, 117 with 8, 128 with the default.
 */
const GATEWAY_YOUNG_GENERATION = '--max-semi-space-size=4';

/**
 * After a full GC V8 lets the old generation grow by a factor it picks (up to 4×) before the next
 * one. The gateway promotes request garbage steadily (Prisma's answers to run listings, SSE text
 * waiting in sockets), so its RSS under app-rss's load rose to whatever that factor allowed:
 * 144-215 MiB (1.3-2.0× idle) between runs of the same code, old space 55-96 MiB used for ~33 live.
 * Growing by 1.5× instead: peak 141-143 MiB (1.3×), idle 105 instead of 110, 15 full GCs instead of
 * 11 over the bench; 1.2× gave 133 MiB with 26 full GCs. Gateway CPU per MiB followed in log-flood
 * (scale 0.5, 3 interleaved pairs, load 7-12): 27.4 / 24.7 / 24.5 ms against 27.7 / 23.7 / 24.2.
 */
const GATEWAY_OLD_GENERATION_GROWTH = '--heap-growing-percent=50';
export const NODE_FLAGS: Record<AppName, readonly string[]> = {
  gateway: [GATEWAY_YOUNG_GENERATION, GATEWAY_OLD_GENERATION_GROWTH, WASM_WITHOUT_TIER_UP],
  'webhook-receiver': [SMALL_YOUNG_GENERATION, WASM_WITHOUT_TIER_UP],
  scheduler: [SMALL_YOUNG_GENERATION, WASM_WITHOUT_TIER_UP],
  'pod-executor': ['--max-semi-space-size=4'],
  'log-archiver': [SMALL_YOUNG_GENERATION, WASM_WITHOUT_TIER_UP],
  'artifact-service': [SMALL_YOUNG_GENERATION, WASM_WITHOUT_TIER_UP],
};

/**
 * glibc malloc, for the apps that run Prisma's WebAssembly. MALLOC_ARENA_MAX=2 (as GitLab and
 * Heroku set for Ruby and Node): without it each thread that allocates (V8's compiler and GC
 * helpers, libuv's pool) gets its own arena that keeps what it once held; 10-13 MiB less.
 * MALLOC_TRIM_THRESHOLD_ at glibc's default value fixes the thresholds: otherwise glibc raises the
 * mmap threshold after the first large free (Prisma's 1.7 MB WebAssembly module) and later large
 * blocks stay in the heap once freed; ~6 MiB less. Not the executor: it compiles no WebAssembly
 * (1-2 MiB saved) and its log path's CPU per MiB was 29-52 ms with these settings against 34-42
 * without in log-flood on a loaded host: not worth the doubt.
 */
const COMPACT_MALLOC: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** Environment each app starts with (a variable the caller sets wins). */
export const APP_ENV: Record<AppName, Readonly<Record<string, string>>> = {
  gateway: { MALLOC_ARENA_MAX: COMPACT_MALLOC.MALLOC_ARENA_MAX },
  'webhook-receiver': COMPACT_MALLOC,
  scheduler: COMPACT_MALLOC,
  'pod-executor': {},
  'log-archiver': COMPACT_MALLOC,
  'artifact-service': COMPACT_MALLOC,
};
