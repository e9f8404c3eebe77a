// The end-to-end harness lives in @kiln/testing so app test folders (apps/*/test) can use it
// without importing across project boundaries; this file keeps e2e tests' imports short.
export {
  finishedWithLogs,
  githubPushPayload,
  startPlatform,
  TERMINAL_RUN_STATUSES,
  type PipelineInput,
  type Platform,
  type ProjectInput,
  type RunJson,
  type StepJson,
} from '@kiln/testing';
