import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HELPER_IMAGE } from './docker.options';
import { engineStatus } from './engine';
import { ImagePuller } from './image-puller';

/** Debian's busybox-static: one static binary, enough for the holder's `sleep`. */
const STATIC_BUSYBOX = '/bin/busybox';

/**
 * Makes the helper image present. The default name is built here when missing, by importing a
 * root filesystem of this host's static busybox (`apt-get install busybox-static`), so
 * a machine without registry access runs the docker backend as it is; any other name is pulled
 * according to the pull policy.
 */
export async function ensureHelperImage(docker: Docker, image: string, puller: ImagePuller): Promise<void> {
  const present = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      (error: unknown) => {
        if (engineStatus(error) === 404) return false;
        throw error;
      },
    );
  if (present) return;
  if (image !== DEFAULT_HELPER_IMAGE) {
    await puller.ensure(image);
    return;
  }
  await importBusybox(docker, image);
}

async function importBusybox(docker: Docker, image: string): Promise<void> {
  const binary = await readFile(STATIC_BUSYBOX).catch(() => undefined);
  if (!binary || !isStaticElf(binary)) {
    throw new Error(
      `the docker backend's helper image ${image} is missing and ${STATIC_BUSYBOX} is not a static busybox ` +
        `to build it from: install busybox-static or set KILN_DOCKER_HELPER_IMAGE to an image with sleep`,
    );
  }
  const [repo, tag] = image.split(':');
  const root = await mkdtemp(join(tmpdir(), 'kiln-helper-'));
  try {
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'bin/busybox'), binary, { mode: 0o755 });
    for (const applet of ['sh', 'sleep']) await symlink('busybox', join(root, 'bin', applet));
    const tar = spawn('tar', ['-c', '--owner=0', '--group=0', '-C', root, '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tarError: Error | undefined;
    tar.once('error', (error) => (tarError = error));
    try {
      const progress = await docker.importImage(tar.stdout, { repo, tag });
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
      );
    } finally {
      // The engine only unpipes a body it refused: tar would wait on a full pipe forever.
      tar.kill();
    }
    if (tarError) throw new Error(`cannot pack the helper image: ${tarError.message}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A 64-bit ELF without a program interpreter: runs without the host's libc inside the image. */
function isStaticElf(binary: Buffer): boolean {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2) return false;
  const offset = Number(binary.readBigUInt64LE(0x20));
  const size = binary.readUInt16LE(0x36);
  const count = binary.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < count; i += 1) {
    const at = offset + i * size;
    if (at + 4 > binary.length || binary.readUInt32LE(at) === PT_INTERP) return false;
  }
  return true;
}
