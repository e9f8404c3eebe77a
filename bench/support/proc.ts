import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in MiB (VmRSS of /proc/<pid>/status); undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    // The process has exited between the caller's check and this read.
    return undefined;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a whole process has used so far, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * CPU time (user + system, ms) one thread of this process has used, from /proc/self/task/<tid>/stat.
 * The main thread's tid is the pid. Unlike wall time this does not grow when other processes on
 * a shared machine take the CPU, so it compares code paths fairly on a busy host.
 */
export function threadCpuMs(tid = process.pid): number {
  return cpuMsOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
}

/**
 * CPU time (user + system, ms) of a process and, apart, of the processes it started: those it
 * has waited for (cutime + cstime: git, bubblewrap and what they ran) and those still running
 * with what they have waited for (the executor's spawner starts the sandboxes, and is waited for
 * only when the executor ends), from /proc/<pid>/stat and /proc/<pid>/task/<tid>/children.
 */
export function processTreeCpuMs(pid: number): { self: number; children: number } {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const ms = (a: number, b: number) => ((Number(fields[a]) + Number(fields[b])) * 1000) / TICKS_PER_SECOND;
  let children = ms(13, 14);
  for (const child of liveChildren(pid)) {
    try {
      const tree = processTreeCpuMs(child);
      children += tree.self + tree.children;
    } catch {
      // It ended between the listing and the read: its time is in our cutime from now on.
    }
  }
  return { self: ms(11, 12), children };
}

function liveChildren(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function statFields(stat: string): string[] {
  // Fields after the command name (which may contain spaces) start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function cpuMsOfStat(stat: string): number {
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}
