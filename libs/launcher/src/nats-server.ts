import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface RunningNatsServer {
  url: string;
  port: number;
  /** JetStream store directory; it survives `restart()` and is removed by `stop()`. */
  storeDir: string;
  /** Stops the server for good and removes its store (unless the caller chose the store). */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port and store (a server restart). */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}

export interface NatsServerOptions {
  /** A store directory that is kept on stop (default: a temporary one, removed on stop). */
  storeDir?: string;
  /** Default: a free port. */
  port?: number;
  /** More configuration, e.g. accounts and users (then clients must authenticate). */
  config?: string;
}

/** Starts a real `nats-server -js` on 127.0.0.1 with its own store directory. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'kiln-test-nats-'));
  if (options.storeDir) mkdirSync(storeDir, { recursive: true });
  let child = await spawnServer(port, storeDir, options.config);

  const stop = async () => {
    await terminate(child);
    if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
  };
  const restart = async () => {
    await terminate(child);
    child = await spawnServer(port, storeDir, options.config);
  };
  return { url: `nats://127.0.0.1:${port}`, port, storeDir, stop, restart };
}

function spawnServer(port: number, storeDir: string, extra = ''): Promise<ChildProcess> {
  // Streams reserve their max_bytes (KILN_LOGS: KILN_LOG_STREAM_MAX_BYTES) against the server's storage limit,
  // which defaults to a share of the free disk; tests create many prefixed streams, so the
  // limit is raised far above what they ever write.
  const config = join(storeDir, 'nats-server.conf');
  writeFileSync(
    config,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: ${JSON.stringify(storeDir)}, max_file_store: 1TB }\n${extra}`,
    // It may hold passwords.
    { mode: 0o600 },
  );
  const child = spawn(natsServerBinary(), ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
      // Keep reading so a full pipe never blocks the server.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (reason: string) => {
      cleanUp();
      child.kill('SIGKILL');
      reject(new Error(`${reason}\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Logged once the client port listens and JetStream has recovered its store.
      if (output.includes('Server is ready')) {
        cleanUp();
        resolve(child);
      }
    };
    const onError = (err: Error) => fail(`nats-server failed to start: ${err.message}`);
    const onExit = (code: number | null, signal: string | null) =>
      fail(`nats-server exited early (code ${code}, signal ${signal})`);
    const timer = setTimeout(
      () => fail(`nats-server not ready after ${READY_TIMEOUT_MS} ms`),
      READY_TIMEOUT_MS,
    );
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}
