import type Docker from 'dockerode';
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { busyboxTestImage, testDocker } from '../docker-engine';

/** The Kubernetes backend's helper image for tests: sh, git, flock and tar. */
export const KUBE_HELPER_TEST_IMAGE = 'kiln-test/kube-helper:2';
/** A step image for tests: busybox, running as root unless the pod says otherwise. */
export const KUBE_STEP_TEST_IMAGE = 'kiln-test/busybox:1';

/** Makes sure the engine has the step and helper images the Kubernetes tests run. */
export async function kubeTestImages(docker = testDocker()): Promise<{ step: string; helper: string }> {
  return {
    step: await busyboxTestImage(docker, KUBE_STEP_TEST_IMAGE),
    helper: await kubeHelperTestImage(docker),
  };
}

/**
 * Git as this host has it (the binary, its helpers for file:// and http(s), templates) and
 * util-linux's flock, which Debian's busybox leaves out.
 */
const HOST_FILES = ['/usr/bin/git', '/usr/lib/git-core', '/usr/share/git-core/templates', '/usr/bin/flock'];
const LINKED = ['/usr/bin/git', '/usr/lib/git-core/git-remote-http', '/usr/bin/flock'];

/**
 * The helper image made without a registry or a package mirror: Debian's static busybox (sh,
 * tar, sed, find) and the host's git and flock with the shared libraries they link, a passwd with
 * the helper's uid 65532, no USER (the pod sets runAsUser). Built once; the engine keeps it by tag
 * (bump the tag when the recipe changes).
 */
export async function kubeHelperTestImage(docker: Docker, name = KUBE_HELPER_TEST_IMAGE): Promise<string> {
  if (await present(docker, name)) return name;
  const root = await mkdtemp(join(tmpdir(), 'kiln-helper-image-'));
  try {
    await busyboxRoot(root);
    for (const path of HOST_FILES) {
      await mkdir(join(root, dirname(path)), { recursive: true });
      await execFileAsync('cp', ['-a', path, join(root, path)]);
    }
    for (const library of await sharedLibraries(LINKED)) {
      await mkdir(join(root, dirname(library)), { recursive: true });
      await copyFile(await realpath(library), join(root, library));
    }
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nkiln:x:65532:65532:kiln:/tmp:/bin/sh\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nkiln:x:65532:\n');
    await writeFile(join(root, 'etc/kiln-test.gitconfig'), '[safe]\n\tdirectory = *\n');
    // Test repositories are root's files on this host, bound into pods that run as 65532: git
    // would refuse them as "dubious ownership". In a cluster the helper fetches over the network.
    await importRoot(docker, root, name, ['ENV GIT_CONFIG_GLOBAL=/etc/kiln-test.gitconfig']);
    return name;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** `base` with its USER set (an image that runs as a non-root user by default, like most images). */
export async function imageWithUser(
  docker: Docker,
  base: string,
  name: string,
  user: string,
): Promise<string> {
  if (await present(docker, name)) return name;
  const container = await docker.createContainer({ Image: base, Entrypoint: ['true'] });
  try {
    const [repo, tag] = splitTag(name);
    await container.commit({ repo, tag, changes: [`USER ${user}`] });
  } finally {
    await container.remove({ force: true });
  }
  return name;
}

const execFileAsync = promisify(execFile);

function present(docker: Docker, name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, () => false); // prettier-ignore
}

async function busyboxRoot(root: string): Promise<void> {
  for (const dir of ['bin', 'etc', 'lib64']) await mkdir(join(root, dir), { recursive: true });
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  const { stdout } = await execFileAsync('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox'))
    await symlink('busybox', join(root, 'bin', applet));
}

/** The shared libraries (and loader) the given binaries need, as `ldd` resolves them here. */
async function sharedLibraries(binaries: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await execFileAsync('ldd', [binary]);
    for (const match of stdout.matchAll(/(\/[^\s]+) \(0x/g)) found.add(match[1]);
  }
  return [...found];
}

async function importRoot(docker: Docker, root: string, name: string, changes: string[]): Promise<void> {
  const entries = await readdir(root);
  const tar = spawn('tar', ['-c', '--owner=0', '--group=0', '-C', root, ...entries], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [repo, tag] = splitTag(name);
  const progress = await docker.importImage(tar.stdout, { repo, tag, changes });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}
