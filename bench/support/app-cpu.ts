import { readdirSync, readFileSync } from 'node:fs';
import { processCpuMs, processTreeCpuMs } from './proc';
import { BenchResult } from './result';
import { round } from './stats';
import { Stack } from './stack';

/** Apps whose CPU time per run is reported: the steady figure on a shared machine. */
const MEASURED_APPS = ['webhook-receiver', 'scheduler', 'pod-executor', 'log-archiver'] as const;

export type AppCpu = Map<string, { self: number; children: number }>;

/**
 * The servers the apps use, when they run on this host: PostgreSQL (its postmaster, with every
 * backend and background process under it) and each nats-server process. Their CPU time counts
 * whatever else uses them too, so the figure is the platform's only on an otherwise quiet machine.
 */
export interface Servers {
  postgresql?: number;
  nats: number[];
}

/** Finds the PostgreSQL postmaster (the parent of this connection's backend) and the nats-server processes. */
export async function findServers(stack: Stack): Promise<Servers> {
  const { rows } = await stack.sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { postgresql: parentPid(rows[0].pid), nats: processesNamed('nats-server') };
}

/** Each measured app's CPU time so far, its own and its child processes' (git, bwrap), and the servers'. */
export function cpuOfApps(stack: Stack, servers?: Servers): AppCpu {
  const cpu: AppCpu = new Map(MEASURED_APPS.map((app) => [app, processTreeCpuMs(stack.pid(app)!)]));
  if (servers?.postgresql) {
    const tree = processTreeCpuMs(servers.postgresql);
    cpu.set('postgresql (all its processes)', { self: tree.self + tree.children, children: 0 });
  }
  if (servers && servers.nats.length > 0) {
    const self = servers.nats.reduce((sum, pid) => sum + cpuOrNothing(pid), 0);
    cpu.set('nats-server', { self, children: 0 });
  }
  return cpu;
}

/** Each app's own CPU time per run between two readings and, apart, that of the processes it started. */
export function cpuPerRun(before: AppCpu, after: AppCpu, runs: number): BenchResult[] {
  return [...after.keys()].flatMap((name) => {
    const [b, a] = [before.get(name)!, after.get(name)!];
    const own: BenchResult = { name, value: round((a.self - b.self) / runs), unit: 'ms CPU' };
    if (!(MEASURED_APPS as readonly string[]).includes(name)) return [own];
    return [
      own,
      { name: `${name}'s child processes`, value: round((a.children - b.children) / runs), unit: 'ms CPU' },
    ];
  });
}

/** A process's CPU time so far; 0 once it has ended (counted as nothing from then on). */
function cpuOrNothing(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return 0;
  }
}

/** The parent of a process on this host; undefined when it is not here (a remote server). */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function processesNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}
