import { RunContext } from '@kiln/definition';
import { RunStatus } from './statuses';
import { PlannedStep } from './step-plan';

/** What the engine knows of a run: its row's state fields and the rules from its definition. */
export interface RunState {
  id: string;
  status: RunStatus;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  lastProgressAt: Date;
  failFast: boolean;
  context: RunContext;
  /** Whether a queued run fits under the admission limits now (the writer counts; the rule is `admits`). */
  admitted: boolean;
}

/** A step row's state fields (named as the database names them) and the plan's view of it. */
export interface StepState extends PlannedStep {
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  executorId: string | null;
  sandboxName: string | null;
  imageDigest: string | null;
  logRef: string | null;
  logBytes: bigint | null;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

export const RUN_FIELDS = ['status', 'error', 'startedAt', 'finishedAt', 'lastProgressAt'] as const;
export type RunFields = Pick<RunState, (typeof RUN_FIELDS)[number]>;

export const STEP_FIELDS = [
  'status',
  'attempt',
  'exitCode',
  'signal',
  'error',
  'executorId',
  'sandboxName',
  'imageDigest',
  'logRef',
  'logBytes',
  'queuedAt',
  'startedAt',
  'finishedAt',
  'durationMs',
] as const;
export type StepFields = Pick<StepState, (typeof STEP_FIELDS)[number]>;

/**
 * A guarded row change: `set` applies only while the row still has the status (and, for a step,
 * the attempt) the decision was made on. The writer holds the run's lock, so the guard is a
 * second line: a change made on stale rows changes nothing.
 */
export interface RunChange {
  from: { status: RunStatus };
  set: Partial<RunFields>;
}

export interface StepChange {
  id: string;
  from: Pick<StepState, 'status' | 'attempt'>;
  set: Partial<StepFields>;
}

export interface Changes {
  run?: RunChange;
  steps: StepChange[];
}

/** What the writer does after the changes are committed, in this order. */
export type Effect =
  /** Stop the run's sandboxes on every executor (fail_fast, a run the platform failed). */
  | { type: 'cancel-sandboxes'; requestedBy: string; reason: string }
  /** Publish the dispatch of every queued step (again: the message id drops duplicates). */
  | { type: 'dispatch'; stepIds: string[] }
  /** Report the run's outcome and let queued runs that waited for its slot start. */
  | { type: 'run-finished' };

export interface Decision {
  changes: Changes;
  effects: Effect[];
}
