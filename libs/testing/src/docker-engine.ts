import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where a dockerd started for tests keeps its images (kept between runs, so test images are built once). */
const TEST_ENGINE_DIR = '/var/lib/kiln-test-docker';
const READY_TIMEOUT_MS = 30_000;

/** A client for the engine the tests use (DOCKER_HOST, set by the global setup). */
export function testDocker(): Docker {
  const host = process.env.DOCKER_HOST;
  if (!host)
    throw new Error(
      'no Docker Engine for the tests: DOCKER_HOST is unset (see libs/testing/src/global-setup.ts)',
    );
  return new Docker({ socketPath: host.replace(/^unix:\/\//, '') });
}

/**
 * The tests' own engine: Debian's dockerd as the machine notes say it runs here (no bridge, no
 * iptables: only `none`, `host` and `container:` networks), with its own data, exec root and
 * socket. It is started once, detached, and left running for later test runs (images built for
 * tests stay, and concurrent Jest runs share one daemon instead of racing for its pid file).
 * Answers its DOCKER_HOST.
 */
export async function ensureTestDockerEngine(dir = TEST_ENGINE_DIR): Promise<string> {
  const socket = join(dir, 'docker.sock');
  const docker = new Docker({ socketPath: socket });
  const answers = () => docker.ping().then(() => true, () => false); // prettier-ignore
  if (existsSync(socket) && (await answers())) return `unix://${socket}`;
  await mkdir(dir, { recursive: true });
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--bridge=none', '--iptables=false', '--ip6tables=false',
      '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '-H', `unix://${socket}`, '--pidfile', join(dir, 'dockerd.pid'),
    ],
    { stdio: ['ignore', log, log], detached: true },
  ); // prettier-ignore
  child.unref();
  // Another Jest run may be starting the same daemon: then this one exits (pid file taken) and
  // the other answers on the socket soon.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (existsSync(socket) && (await answers())) return `unix://${socket}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dockerd not ready after ${READY_TIMEOUT_MS} ms; see ${join(dir, 'dockerd.log')}`);
}

/** An engine answering at DOCKER_HOST or /var/run/docker.sock, if one does. */
export async function runningDockerHost(): Promise<string | undefined> {
  for (const host of [process.env.DOCKER_HOST, 'unix:///var/run/docker.sock']) {
    if (!host?.startsWith('unix://')) continue;
    const answers = await new Docker({ socketPath: host.slice('unix://'.length) })
      .ping()
      .then(() => true, () => false); // prettier-ignore
    if (answers) return host;
  }
  return undefined;
}

export interface TestImageOptions {
  /** Extra files of the image, path (without leading /) → content. */
  files?: Record<string, string>;
  /** Leave /bin/sh out (an image a step cannot run commands in). */
  withoutShell?: boolean;
}

/**
 * A small image made here without any registry: Debian's static busybox with every applet, an
 * /etc/passwd, an /etc/os-release naming it, and the given files, imported under `name` (reused
 * when the engine already has it). Images are kept by name, so every caller asking for one name
 * must ask for the same content: the default os-release keeps the plain callers of a shared name
 * in step with the specs that read it, whichever of them runs first.
 */
export async function busyboxTestImage(
  docker: Docker,
  name: string,
  options: TestImageOptions = {},
): Promise<string> {
  const present = await docker.getImage(name).inspect().then(() => true, () => false); // prettier-ignore
  if (present) return name;
  const root = await mkdtemp(join(tmpdir(), 'kiln-test-image-'));
  try {
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'tmp'), { mode: 0o1777 });
    await writeFile(join(root, 'bin/busybox'), await readFile('/bin/busybox'), { mode: 0o755 });
    const applets = await busyboxApplets();
    for (const applet of applets) {
      if (applet === 'busybox' || (options.withoutShell && applet === 'sh')) continue;
      await symlink('busybox', join(root, 'bin', applet));
    }
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    const files = { 'etc/os-release': 'NAME="kiln test busybox"\n', ...options.files };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const tar = spawn('tar', ['-c', '--owner=0', '--group=0', '-C', root, '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [repo, tag] = splitTag(name);
    const progress = await docker.importImage(tar.stdout, { repo, tag });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
    );
    return name;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}

function busyboxApplets(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/busybox', ['--list'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('close', () => resolve(text.split('\n').filter(Boolean)));
  });
}
