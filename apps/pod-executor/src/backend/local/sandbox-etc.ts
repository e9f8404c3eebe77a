import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The user a step runs as inside its user namespace; it maps to the executor's own uid outside. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

export const STEP_USER_NAME = 'kiln';

export const GENERATED_ETC_FILES = ['passwd', 'group', 'hosts', 'nsswitch.conf'] as const;

/**
 * The generated files of a sandbox's minimal /etc: the step user, root and nobody, localhost, and
 * name lookups from files (and DNS when the network is shared) only. The host's nsswitch.conf may
 * name modules (systemd, mdns) that would look for sockets the sandbox does not have.
 */
export function sandboxEtcFiles(user: SandboxUser): Record<(typeof GENERATED_ETC_FILES)[number], string> {
  const lines = (rows: string[]) => rows.map((row) => `${row}\n`).join('');
  return {
    passwd: lines([
      'root:x:0:0:root:/root:/usr/sbin/nologin',
      `${STEP_USER_NAME}:x:${user.uid}:${user.gid}:kiln step:/tmp:/bin/sh`,
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    ]),
    group: lines(['root:x:0:', `${STEP_USER_NAME}:x:${user.gid}:`, 'nogroup:x:65534:']),
    hosts: lines(['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback']),
    'nsswitch.conf': lines(['passwd: files', 'group: files', 'hosts: files dns']),
  };
}

/**
 * Writes the files once under `<dataDir>/sandbox-etc/<uid>-<gid>` and returns that directory.
 * Executors sharing the data directory write the same bytes; each file is renamed into place, so a
 * sandbox never binds a half-written one.
 */
export async function writeSandboxEtc(dataDir: string, user: SandboxUser): Promise<string> {
  const dir = join(resolve(dataDir), 'sandbox-etc', `${user.uid}-${user.gid}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(sandboxEtcFiles(user))) {
    const path = join(dir, name);
    if ((await readFile(path, 'utf8').catch(() => null)) === text) continue;
    const staging = `${path}.${randomBytes(4).toString('hex')}`;
    await writeFile(staging, text, { mode: 0o644 });
    await rename(staging, path);
  }
  return dir;
}
