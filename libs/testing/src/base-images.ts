import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { APP_NAMES } from '@kiln/launcher';

/**
 * The bases the repository Dockerfile builds on (debian:bookworm-slim, node:20-slim), made on the
 * tests' engine without any registry: a Debian bookworm rootfs from apt's mirror by mmdebstrap
 * (minbase, docs and locales left out like the slim images), and on it the Node binary and npm
 * this test process runs with. Each is named by a digest of its recipe and inputs, so a run finds
 * it built by an earlier one; concurrent test files wait for one builder instead of racing.
 */
export interface BaseImages {
  /** For the Dockerfile's DEBIAN_IMAGE. */
  debian: string;
  /** For the Dockerfile's NODE_IMAGE. */
  node: string;
}

const MIRROR = 'http://deb.debian.org/debian';
const SUITE = 'bookworm';
const MMDEBSTRAP_OPTIONS = [
  '--quiet',
  '--variant=minbase',
  '--mode=root',
  '--format=tar',
  '--dpkgopt=force-unsafe-io',
  // Merged /usr through usr-is-merged, not the usrmerge package (which pulls in 46 MB of Perl).
  '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-include=/usr/share/doc/*/copyright',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  '--dpkgopt=path-exclude=/usr/share/info/*',
  '--aptopt=APT::Install-Recommends "false"',
  '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/apt "$1"/var/log/dpkg.log',
];
const LOCK_STALE_MS = 15 * 60_000;
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function baseImages(docker: Docker): Promise<BaseImages> {
  const debian = await debianBaseImage(docker);
  return { debian, node: await nodeBaseImage(docker, debian) };
}

/** Debian bookworm minbase, imported from mmdebstrap's tar (`apt-get install mmdebstrap`). */
export async function debianBaseImage(docker: Docker): Promise<string> {
  const name = `kiln-test/debian:${SUITE}-${digest([...MMDEBSTRAP_OPTIONS, SUITE, MIRROR].join('\n'))}`;
  return once(docker, name, async () => {
    // mmdebstrap writes its tar only at the end: into a file, then imported from there.
    const dir = await mkdtemp(join(tmpdir(), 'kiln-debian-base-'));
    try {
      const tarball = join(dir, 'rootfs.tar');
      const mmdebstrap = spawn('mmdebstrap', [...MMDEBSTRAP_OPTIONS, SUITE, tarball, MIRROR], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      await exitError('mmdebstrap', mmdebstrap);
      const [repo, tag] = splitTag(name);
      const progress = await docker.importImage(createReadStream(tarball), {
        repo,
        tag,
        changes: ['CMD ["bash"]'],
      });
      await followProgress(docker, progress);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/**
 * The Debian base with this process's Node binary and npm, and the `node` user (1000) of
 * node:20-slim. This machine's CA bundle comes along (NODE_EXTRA_CA_CERTS) so that npm and pnpm
 * in the Dockerfile's build reach the registry through the same TLS-inspecting egress as the host.
 */
export async function nodeBaseImage(docker: Docker, debian: string): Promise<string> {
  const node = process.execPath;
  const npm = join(dirname(node), '../lib/node_modules/npm');
  const npmVersion = JSON.parse(await readFile(join(npm, 'package.json'), 'utf8')).version as string;
  const inputs = [debian, await fileDigest(node), npmVersion, await fileDigest(HOST_CA_BUNDLE)];
  const name = `kiln-test/node:${process.versions.node}-${digest(inputs.join('\n'))}`;
  return once(docker, name, async () => {
    const context = await mkdtemp(join(tmpdir(), 'kiln-node-base-'));
    try {
      await writeFile(
        join(context, 'Dockerfile'),
        [
          `FROM ${debian}`,
          `COPY ${node.slice(1)} /usr/local/bin/node`,
          `COPY ${npm.slice(1)} /usr/local/lib/node_modules/npm`,
          `COPY ${HOST_CA_BUNDLE.slice(1)} /etc/ssl/host-ca-certificates.crt`,
          'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca-certificates.crt',
          'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
          ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
          ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
          'CMD ["node"]',
        ].join('\n'),
      );
      // The context: the Dockerfile and, from /, the binary, npm's directory and the CA bundle.
      const files = [node, npm, HOST_CA_BUNDLE].map((p) => p.slice(1));
      const tar = spawn('tar', ['-c', '-C', context, 'Dockerfile', '-C', '/', ...files], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const progress = await docker.buildImage(tar.stdout, { t: name, rm: true, forcerm: true });
      await followProgress(docker, progress);
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });
}

/** Builds `name` with `make` unless the engine has it; one builder at a time per name on this machine. */
async function once(docker: Docker, name: string, make: () => Promise<void>): Promise<string> {
  const lock = join(tmpdir(), 'kiln-base-images', name.replace(/[/:]/g, '_'));
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    if (await present(docker, name)) return name;
    const taken = await mkdir(lock).then(() => true, () => false); // prettier-ignore
    if (taken) break;
    const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0); // prettier-ignore
    if (since > LOCK_STALE_MS) await rmdir(lock).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    if (!(await present(docker, name))) await make();
    return name;
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

function present(docker: Docker, name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, () => false); // prettier-ignore
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function fileDigest(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });
}

/** Resolves when the child exits 0; rejects with its stderr otherwise. */
function exitError(what: string, child: ReturnType<typeof spawn>): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}: ${stderr}`)),
    );
  });
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = error?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
}

function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return [name.slice(0, colon), name.slice(colon + 1)];
}

/** The targets of the repository Dockerfile: one per app, and the helper image. */
export const DOCKERFILE_TARGETS = [...APP_NAMES, 'helper'] as const;
export type DockerfileTarget = (typeof DOCKERFILE_TARGETS)[number];

/** The tag a Dockerfile target gets on the tests' engine. */
export const dockerfileImageName = (target: DockerfileTarget) => `kiln-test/dockerfile-${target}:latest`;

/**
 * Builds one target of the repository's Dockerfile on the tests' engine with the local bases
 * (`docker build`, legacy builder as the engine's 20.10 does by default, host network for apt's
 * mirror and npm): layers the engine already has are reused, so an unchanged target takes
 * seconds. Answers the image name.
 */
export async function dockerfileImage(target: DockerfileTarget, bases: BaseImages): Promise<string> {
  const name = dockerfileImageName(target);
  const args = [
    'build', '--network', 'host', '--target', target, '-t', name,
    '--build-arg', `NODE_IMAGE=${bases.node}`, '--build-arg', `DEBIAN_IMAGE=${bases.debian}`,
    repoRoot(),
  ]; // prettier-ignore
  const build = spawn('docker', args, {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  build.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  await exitError(`docker build --target ${target}`, build).catch((error: Error) => {
    throw new Error(`${error.message}\n${output.slice(-4000)}`);
  });
  return name;
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
    dir = dirname(dir);
  }
  return dir;
}
