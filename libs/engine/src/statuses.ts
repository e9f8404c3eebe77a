// The one status vocabulary of runs and steps. The database enums (prisma/schema.prisma), the
// API, the CLI and the web UI use these lists; a spec checks them against the Prisma enums.

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = ['pending', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A run in one of these never changes again (a retry makes a new run). */
export const TERMINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];
export const UNFINISHED_RUN_STATUSES = ['queued', 'running', 'waiting'] as const satisfies readonly RunStatus[];

/** A step in one of these is done for its attempt. */
export const TERMINAL_STEP_STATUSES = ['succeeded', 'failed', 'cancelled', 'skipped'] as const satisfies readonly StepStatus[];
export type TerminalStepStatus = (typeof TERMINAL_STEP_STATUSES)[number];
export const UNFINISHED_STEP_STATUSES = ['pending', 'queued', 'running', 'waiting'] as const satisfies readonly StepStatus[];
/** Dispatched to an executor (or about to be): the steps a run's cancel or timeout must stop. */
export const ACTIVE_STEP_STATUSES = ['queued', 'running'] as const satisfies readonly StepStatus[];

export function isTerminalRun(status: string): status is TerminalRunStatus {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export function isTerminalStep(status: string): status is TerminalStepStatus {
  return (TERMINAL_STEP_STATUSES as readonly string[]).includes(status);
}

/** How an executor's attempt ended (a step is skipped only by the plan, never by an executor). */
export type StepOutcomeStatus = Exclude<TerminalStepStatus, 'skipped'>;
