/**
 * Every NATS subject Kiln uses. Names follow `kiln.<noun>.<verb-past-or-request>`;
 * a breaking payload change gets a new subject (`….v2`), never an edit of an old one.
 */
export const Subjects = {
  RunRequested: 'kiln.run.requested',
  RunCancel: 'kiln.run.cancel',
  RunFinished: 'kiln.run.finished',
  StepDispatched: 'kiln.step.dispatched',
  StepStarted: 'kiln.step.started',
  StepFinished: 'kiln.step.finished',
  StepDecided: 'kiln.step.decided',
  StepLogArchived: 'kiln.step.log-archived',
  /** Log chunks: the full subject is `kiln.logs.<runId>.<stepId>` (see logSubjectSuffix). */
  Logs: 'kiln.logs',
  ExecutorHeartbeat: 'kiln.executor.heartbeat',
  DeploymentUpdated: 'kiln.deployment.updated',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

/** Prefix of the subjects poison messages are moved to: `kiln.dead.<original subject>`. */
export const DEAD_LETTER_PREFIX = 'kiln.dead';

export function logSubjectSuffix(runId: string, stepId: string): string {
  return `${runId}.${stepId}`;
}
