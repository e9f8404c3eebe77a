import { StepOutcomeStatus } from './statuses';

/**
 * Everything that can happen to a run, as the engine sees it. Where each comes from (which
 * consumer or timer) is in docs/architecture.md.
 */
export type EngineEvent =
  /** The run was requested, may have been admitted, or something else asks it to move on. */
  | { type: 'advance' }
  | {
      type: 'step-started';
      stepId: string;
      attempt: number;
      startedAt: Date;
      executorId: string;
      sandboxName: string;
      imageDigest?: string;
    }
  | {
      type: 'step-finished';
      stepId: string;
      attempt: number;
      status: StepOutcomeStatus;
      exitCode?: number;
      signal?: string;
      error?: string;
      executorId: string;
      /** The image a build step pushed: it becomes the step's image digest. */
      pushedImage?: string;
      startedAt?: Date;
      finishedAt: Date;
    }
  /** The executor running the attempt is gone: retried once as a new attempt, then failed. */
  | { type: 'step-lost'; stepId: string; attempt: number; reason: string }
  /** The executor never reported the end of the attempt within its timeout and a grace. */
  | { type: 'step-timed-out'; stepId: string; attempt: number; error: string }
  /** The attempt cannot be dispatched (a secret it names does not exist, …). */
  | { type: 'step-undeliverable'; stepId: string; attempt: number; error: string }
  | { type: 'approval-decided'; stepId: string; approved: boolean; decidedBy: string; comment?: string }
  /** A person (or `cancel_previous`) cancels the run. */
  | { type: 'cancel'; requestedBy: string; reason: string }
  /** The platform gives up on the run (run timeout, no progress). */
  | { type: 'fail'; reason: string }
  /** The log archiver stored an attempt's log. */
  | { type: 'log-archived'; stepId: string; attempt: number; logRef: string; logBytes: bigint };

/** A lost executor's step is run again once; the second loss fails it. */
export const LOST_STEP_ATTEMPTS = 2;
