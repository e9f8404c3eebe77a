import type Docker from 'dockerode';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const READY_TIMEOUT_MS = 15_000;

export interface AuthRegistry {
  /** `127.0.0.1:<port>`: the registry host as image names and credentials carry it. */
  host: string;
  username: string;
  password: string;
  /** Stops the registry and removes its storage. */
  stop(): Promise<void>;
}

/**
 * A real Docker registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1 with
 * filesystem storage and htpasswd basic auth for one user: pulls and pushes without those
 * credentials are refused with "no basic auth credentials" / "unauthorized".
 */
export async function startAuthRegistry(
  username = 'kiln-puller',
  password = `pw-${randomBytes(9).toString('hex')}`,
): Promise<AuthRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-test-registry-'));
  const port = await freePort();
  const htpasswd = join(dir, 'htpasswd');
  writeFileSync(htpasswd, `${username}:${bcryptHash(password)}\n`, { mode: 0o600 });
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `http: { addr: "127.0.0.1:${port}" }`,
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} } }`,
      `auth: { htpasswd: { realm: kiln, path: ${JSON.stringify(htpasswd)} } }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForAuthChallenge(`http://127.0.0.1:${port}/v2/`, child);
  } catch (error) {
    await stop();
    throw new Error(`docker-registry did not start: ${(error as Error).message}\n${output}`, {
      cause: error,
    });
  }
  return { host: `127.0.0.1:${port}`, username, password, stop };
}

/** Tags a local image as `target` (on the registry) and pushes it with the given credentials. */
export async function pushImage(
  docker: Docker,
  localImage: string,
  target: string,
  auth: { username: string; password: string; serveraddress: string },
): Promise<void> {
  const colon = target.lastIndexOf(':');
  const [repo, tag] = colon > target.lastIndexOf('/') ? [target.slice(0, colon), target.slice(colon + 1)] : [target, 'latest']; // prettier-ignore
  await docker.getImage(localImage).tag({ repo, tag });
  const progress = await docker.getImage(target).push({ authconfig: auth });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(progress, (error: Error | null, events: PushEvent[]) => {
      const failed = events?.find((e) => e.error);
      if (error || failed) reject(error ?? new Error(`push of ${target} failed: ${failed?.error}`));
      else resolve();
    }),
  );
}

interface PushEvent {
  error?: string;
}

// The registry reads bcrypt only. Python's crypt module makes it (libcrypt's $2b$), so neither
// apache2-utils' htpasswd nor a bcrypt package is needed; cost 5 keeps each request fast.
function bcryptHash(password: string): string {
  return execFileSync(
    'python3',
    ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))', password],
    { encoding: 'utf8' },
  ).trim(); // prettier-ignore
}

async function waitForAuthChallenge(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const status = await fetch(url).then((r) => r.status, () => 0); // prettier-ignore
    if (status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not ask for credentials within ${READY_TIMEOUT_MS} ms`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}
