import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const READY_TIMEOUT_MS = 15_000;
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, as image names carry it; the engine pushes to loopback without TLS. */
  host: string;
  port: number;
  /** The digest the registry serves for `name:tag` (its `Docker-Content-Digest`), or undefined. */
  manifestDigest(name: string, tag: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  /** Refuse every push (the registry's read-only maintenance mode). */
  readOnly?: boolean;
}

/** Debian's `docker-registry` (distribution 2.x) on 127.0.0.1, storing into a temporary directory. */
export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-test-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }`,
      ...(options.readOnly ? ['  maintenance: { readonly: { enabled: true } }'] : []),
      `http: { addr: "${host}" }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async () => {
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(host, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const manifestDigest = async (name: string, tag: string) => {
    const res = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_V2 },
    });
    return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
  };
  return { host, port, manifestDigest, stop };
}

async function waitUntilServing(host: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${output()}`);
    const answered = await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false); // prettier-ignore
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry not serving on ${host} after ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
