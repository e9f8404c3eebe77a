import { processTreeCpuMs } from './proc';
import { BenchResult } from './result';
import { round } from './stats';
import { Stack } from './stack';

/** Apps whose CPU time per run is reported: the steady figure on a shared machine. */
const MEASURED_APPS = ['webhook-receiver', 'scheduler', 'pod-executor'] as const;

export type AppCpu = Map<string, { self: number; children: number }>;

/** Each measured app's CPU time so far, its own and its child processes' (git, bwrap). */
export function cpuOfApps(stack: Stack): AppCpu {
  return new Map(MEASURED_APPS.map((app) => [app, processTreeCpuMs(stack.pid(app)!)]));
}

/** Each app's own CPU time per run between two readings and, apart, that of the processes it started. */
export function cpuPerRun(before: AppCpu, after: AppCpu, runs: number): BenchResult[] {
  return MEASURED_APPS.flatMap((app) => {
    const [b, a] = [before.get(app)!, after.get(app)!];
    return [
      { name: app, value: round((a.self - b.self) / runs), unit: 'ms CPU' },
      { name: `${app}'s child processes`, value: round((a.children - b.children) / runs), unit: 'ms CPU' },
    ];
  });
}
