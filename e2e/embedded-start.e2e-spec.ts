import { freePort } from '@kiln/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const LAUNCHER = resolve(__dirname, '..', 'dist/scripts/embedded.js');
const APP_PORTS = [
  'KILN_GATEWAY_PORT',
  'KILN_WEBHOOK_PORT',
  'KILN_SCHEDULER_PORT',
  'KILN_EXECUTOR_PORT',
  'KILN_ARCHIVER_PORT',
  'KILN_ARTIFACT_PORT',
];

/**
 * `pnpm start` (dist/scripts/embedded.js) with its own PostgreSQL and nats-server: a start whose
 * launcher was killed without a chance to stop its children is followed by a start that stops
 * what was left and comes up; Ctrl-C then stops everything it started.
 */
describe('the embedded start', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const launched: ChildProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kiln-embedded-'));
    // As `.kiln` would be: the embedded PostgreSQL runs as the postgres user when started by root.
    chmodSync(dataDir, 0o755);
    env = { ...process.env, KILN_DATA_DIR: dataDir, KILN_EXECUTOR_BACKEND: 'local' };
    delete env.DATABASE_URL;
    delete env.NATS_URL;
    for (const name of [...APP_PORTS, 'KILN_EMBEDDED_POSTGRES_PORT', 'KILN_EMBEDDED_NATS_PORT'])
      env[name] = String(await freePort());
  });

  afterAll(() => {
    for (const child of launched) child.kill('SIGKILL');
    // A failed test may leave a killed start's apps, nats-server and PostgreSQL behind.
    for (const { pid } of processesOf(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(): { child: ChildProcess; output: () => string; ready: Promise<void> } {
    const child = spawn(process.execPath, [LAUNCHER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    launched.push(child);
    let output = '';
    const ready = new Promise<void>((resolvePromise, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Kiln is running.')) resolvePromise();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`the start exited with ${code}:\n${output.slice(-3000)}`)),
      );
    });
    return { child, output: () => output, ready };
  }

  const gatewayReady = async () => (await fetch(`http://127.0.0.1:${env.KILN_GATEWAY_PORT}/readyz`)).status;

  it('stops what a killed start left running, comes up, and stops everything on Ctrl-C', async () => {
    const first = start();
    await first.ready;
    expect(readFileSync(join(dataDir, 'kiln.pid'), 'utf8').trim()).toBe(String(first.child.pid));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Its apps, PostgreSQL and nats-server are still there, holding their ports.
    expect(await gatewayReady()).toBe(200);

    const second = start();
    await second.ready;
    expect(second.output()).toMatch(/stopping a nats-server \(pid \d+\) left running by a previous start/);
    expect(second.output()).toMatch(
      /stopping a PostgreSQL server \(pid \d+\) left running by a previous start/,
    );
    expect(second.output()).toMatch(/stopping Kiln's gateway \(pid \d+\) left running by a previous start/);
    expect(await gatewayReady()).toBe(200);

    const exited = new Promise<number | null>((r) => second.child.once('exit', r));
    second.child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(gatewayReady()).rejects.toThrow();
    expect(processesOf(dataDir).map((p) => p.command)).toEqual([]);
  }, 180_000);
});

/** Processes whose arguments or environment name the data directory (nats-server, PostgreSQL, the apps). */
function processesOf(dir: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const read = (file: string) => {
      try {
        return readFileSync(`/proc/${entry}/${file}`, 'utf8');
      } catch {
        return '';
      }
    };
    const stat = read('stat');
    if (!stat || stat.includes(') Z ')) continue;
    if (read('cmdline').includes(dir) || read('environ').includes(`KILN_DATA_DIR=${dir}`))
      found.push({ pid: Number(entry), command: read('cmdline').replace(/\0/g, ' ').trim() });
  }
  return found;
}
