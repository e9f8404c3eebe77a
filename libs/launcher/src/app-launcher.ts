import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './free-port';
import { APP_ENV, NODE_FLAGS } from './node-settings';

export const APP_NAMES = [
  'gateway',
  'webhook-receiver',
  'scheduler',
  'pod-executor',
  'log-archiver',
  'artifact-service',
] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The variable each app reads its HTTP port from. */
export const PORT_VARIABLES: Record<AppName, string> = {
  gateway: 'KILN_GATEWAY_PORT',
  'webhook-receiver': 'KILN_WEBHOOK_PORT',
  scheduler: 'KILN_SCHEDULER_PORT',
  'pod-executor': 'KILN_EXECUTOR_PORT',
  'log-archiver': 'KILN_ARCHIVER_PORT',
  'artifact-service': 'KILN_ARTIFACT_PORT',
};

export interface RunningApps {
  url(app: AppName): string;
  /** Output each app printed so far (JSON log lines), for failure messages. */
  output(app: AppName): string;
  /** Process id of the app's current process (undefined when it was never started or has exited). */
  pid(app: AppName): number | undefined;
  kill(app: AppName, signal?: NodeJS.Signals): Promise<void>;
  start(app: AppName): Promise<void>;
  stop(): Promise<void>;
}

/** The checkout's root, from the sources (libs/launcher/src) or from compiled code (dist/...). */
function findRepoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

const repoRoot = findRepoRoot();

/**
 * Starts compiled apps (`dist/apps/<app>/src/main.js`, built by `node scripts/build.js`)
 * as real processes with the given environment, each on a free port, and waits until
 * every one answers `/readyz`.
 */
export async function startApps(
  apps: readonly AppName[],
  env: Record<string, string>,
  opts: {
    inheritOutput?: boolean;
    /** Variables for one app only, over `env` (e.g. each app's own NATS user). */
    appEnv?: Partial<Record<AppName, Record<string, string>>>;
  } = {},
): Promise<RunningApps> {
  const ports = new Map<AppName, number>();
  for (const app of APP_NAMES) ports.set(app, await freePort());
  const fullEnv: Record<string, string> = { ...(process.env as Record<string, string>), KILN_LOG_LEVEL: 'info', ...env };
  for (const app of APP_NAMES) fullEnv[PORT_VARIABLES[app]] ??= String(ports.get(app));
  fullEnv.KILN_ARTIFACT_SERVICE_URL ??= `http://127.0.0.1:${fullEnv.KILN_ARTIFACT_PORT}`;
  // The artifact-service does not start without one; executors must present the same.
  fullEnv.KILN_INTERNAL_TOKEN ||= randomBytes(24).toString('hex');
  // The scheduler does not start without one; executors open dispatched secrets with the same.
  fullEnv.KILN_EXECUTOR_KEY ||= randomBytes(32).toString('hex');

  const children = new Map<AppName, ChildProcess>();
  const logs = new Map<AppName, string[]>();
  const urlOf = (app: AppName) => `http://127.0.0.1:${fullEnv[PORT_VARIABLES[app]]}`;

  const start = async (app: AppName) => {
    const main = join(repoRoot, 'dist/apps', app, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`node scripts/build.js\` first`);
    // Without --enable-source-maps, as in the images: source maps cost 12-18 MiB per app (bench/README.md).
    // Flags and malloc settings as in the images (node-settings.ts); a variable set by the caller wins.
    const child = spawn(process.execPath, [...NODE_FLAGS[app], main], {
      env: { ...APP_ENV[app], ...fullEnv, ...opts.appEnv?.[app] },
      stdio: ['ignore', opts.inheritOutput ? 'inherit' : 'pipe', opts.inheritOutput ? 'inherit' : 'pipe'],
    });
    const lines = logs.get(app) ?? [];
    logs.set(app, lines);
    child.stdout?.on('data', (d: Buffer) => lines.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => lines.push(d.toString()));
    // In the app's own log format, so post-mortems see how (and when) a process ended.
    child.once('exit', (code, signal) =>
      lines.push(`${JSON.stringify({ level: 60, time: Date.now(), service: app, code, signal, msg: 'process exited' })}\n`),
    );
    children.set(app, child);
    await waitReady(app, urlOf(app), child, lines);
  };

  const kill = async (app: AppName, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = children.get(app);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  };

  try {
    await Promise.all(apps.map(start));
  } catch (error) {
    await Promise.all(apps.map((a) => kill(a, 'SIGKILL')));
    throw error;
  }
  return {
    url: urlOf,
    output: (app) => (logs.get(app) ?? []).join(''),
    pid: (app) => {
      const child = children.get(app);
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    kill,
    start,
    stop: async () => {
      await Promise.all([...children.keys()].map((a) => kill(a)));
    },
  };
}

// Six apps start at once: on a 2-core machine that other work keeps busy an app has taken over
// 30 s to answer, so the launcher allows a minute before it gives up.
const READY_TIMEOUT_MS = 60_000;

async function waitReady(app: AppName, url: string, child: ChildProcess, lines: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${lines.join('')}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${app} did not become ready within ${READY_TIMEOUT_MS / 1000} s:\n${lines.join('')}`);
}
