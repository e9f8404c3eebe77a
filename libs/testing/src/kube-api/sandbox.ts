import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

export interface SandboxMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  hostname: string;
  mounts: SandboxMount[];
  /** Host paths visible read-only at the same place (test repositories behind file:// URLs). */
  hostReadOnlyPaths: string[];
  network: boolean;
}

/** What an image would give a container: a PATH and a HOME. */
const IMAGE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };

/**
 * A container stand-in: bubblewrap with the host's /usr and /etc read-only, fresh /proc, /dev and
 * /tmp, the pod's volumes bound where the container mounts them, and only the container's env.
 */
export function spawnSandbox(bwrapPath: string, spec: SandboxSpec): ChildProcess {
  const args = [
    '--tmpfs', '/',
    '--ro-bind', '/usr', '/usr',
    '--ro-bind', '/etc', '/etc',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/sbin', '/sbin',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--dir', '/root',
    '--unshare-all',
    // The command is PID 1, as in a container: SIGTERM reaches it only if it handles it.
    '--as-pid-1',
    ...(spec.network ? ['--share-net'] : []),
    '--hostname', spec.hostname,
    '--die-with-parent',
    '--new-session',
    '--clearenv',
  ]; // prettier-ignore
  for (const path of spec.hostReadOnlyPaths) args.push('--ro-bind', path, path);
  for (const mount of spec.mounts)
    args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.hostPath, mount.containerPath);
  if (spec.workingDir) args.push('--chdir', spec.workingDir);
  for (const [name, value] of Object.entries({ ...IMAGE_ENV, ...spec.env }))
    args.push('--setenv', name, value);
  args.push('--', ...spec.argv);
  return spawn(bwrapPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * Signals the container's PID 1 (bwrap's child) the way a runtime signals a container; killing
 * the bwrap monitor instead would take the sandbox down with SIGKILL and skip the command's traps.
 */
export function signalContainer(child: ChildProcess, signal: NodeJS.Signals): void {
  const inner = child.pid === undefined ? [] : childrenOf(child.pid);
  if (inner.length === 0) {
    child.kill(signal);
    return;
  }
  for (const pid of inner) {
    try {
      process.kill(pid, signal);
    } catch {
      // It exited between the scan and the signal: nothing left to stop.
    }
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(pid);
      } catch {
        // The process is gone already.
        return false;
      }
    })
    .map(Number);
}

/** The container's exit code as the runtime reports it: the status, or 128 + the signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 9);
  return code ?? 1;
}
