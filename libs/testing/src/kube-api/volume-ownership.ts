import { chmodSync, lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SETGID = 0o2000;

/**
 * The kubelet's fsGroup handling of a volume: its files belong to the group, group-readable and
 * -writable, directories setgid so new files inherit the group. `OnRootMismatch` skips the walk
 * when the volume's root already has the group and mode.
 */
export function applyFsGroup(root: string, gid: number, policy = 'Always'): void {
  const stat = lstatSync(root);
  const rootOk = stat.gid === gid && (stat.mode & (SETGID | 0o070)) === (SETGID | 0o070);
  if (policy === 'OnRootMismatch' && rootOk) return;
  walk(root, gid);
}

function walk(path: string, gid: number): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  lchownSync(path, stat.uid, gid);
  const mode = stat.mode & 0o7777;
  if (stat.isDirectory()) {
    chmodSync(path, mode | SETGID | 0o070);
    for (const name of readdirSync(path)) walk(join(path, name), gid);
  } else {
    chmodSync(path, mode | 0o060 | (mode & 0o100 ? 0o010 : 0));
  }
}
