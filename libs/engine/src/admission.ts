/**
 * Run admission: a queued run starts once it fits under the global limit (KILN_MAX_ACTIVE_RUNS,
 * 0 = none) and its project's concurrency limit (null or 0 = none). Queued runs start oldest
 * first, so the queued runs created before it count against a limit as if they were running.
 */
export interface AdmissionLimits {
  maxActive: number;
  projectLimit: number | null;
}

/** Runs that hold or wait for the slots of one limit. */
export interface SlotUse {
  running: number;
  queuedAhead: number;
}

/** The slot use under each limit that applies (a limit that does not apply has none). */
export interface Competition {
  global?: SlotUse;
  project?: SlotUse;
}

export interface RunCountFilter {
  status: 'running' | 'queued';
  projectId?: string;
  createdBefore?: Date;
}

/** Counts runs; the scheduler and the gateway each answer it from the database. */
export type CountRuns = (filter: RunCountFilter) => Promise<number>;

export function hasLimits(limits: AdmissionLimits): boolean {
  return limits.maxActive > 0 || (limits.projectLimit ?? 0) > 0;
}

/** Counts what a queued run competes with under the limits that apply, and nothing else. */
export async function competition(
  count: CountRuns,
  run: { projectId: string; createdAt: Date },
  limits: AdmissionLimits,
): Promise<Competition> {
  const use = async (projectId?: string): Promise<SlotUse> => ({
    running: await count({ status: 'running', projectId }),
    queuedAhead: await count({ status: 'queued', projectId, createdBefore: run.createdAt }),
  });
  return {
    ...(limits.maxActive > 0 ? { global: await use() } : {}),
    ...(limits.projectLimit ? { project: await use(run.projectId) } : {}),
  };
}

/** The slot use under each limit that applies, from counts taken of both (`competition` counts lazily). */
export function competitionOf(limits: AdmissionLimits, use: { global: SlotUse; project: SlotUse }): Competition {
  return {
    ...(limits.maxActive > 0 ? { global: use.global } : {}),
    ...(limits.projectLimit ? { project: use.project } : {}),
  };
}

/** Whether the run may start now: every limit that applies has a slot left for it. */
export function admits(limits: AdmissionLimits, c: Competition): boolean {
  const fits = (use: SlotUse | undefined, limit: number) => !use || use.running + use.queuedAhead < limit;
  return fits(c.global, limits.maxActive) && fits(c.project, limits.projectLimit ?? 0);
}

/** Where a queued run waits (1 = next): behind the longest queue of a limit that applies. */
export function queuePosition(c: Competition): number {
  return 1 + Math.max(c.global?.queuedAhead ?? 0, c.project?.queuedAhead ?? 0);
}
