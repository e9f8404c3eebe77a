import { applyChanges } from './apply-changes';
import { decideAll } from './decide';
import { EngineEvent } from './engine-events';
import { Effect, RunState, StepState } from './engine-state';
import { RunStatus, StepStatus } from './statuses';

// Rows for the engine's specs (table and property tests); not exported from the lib, loaded by no app.

export const BEFORE = new Date('2026-12-06T11:00:00Z');
export const NOW = new Date('2026-12-06T12:00:00Z');

export function runRow(status: RunStatus, extra: Partial<RunState> = {}): RunState {
  return {
    id: 'run',
    status,
    error: null,
    startedAt: status === 'queued' ? null : BEFORE,
    finishedAt: null,
    lastProgressAt: BEFORE,
    failFast: false,
    context: { branch: 'main', tag: null, events: ['push'] },
    admitted: true,
    ...extra,
  };
}

export function stepRow(name: string, status: StepStatus, extra: Partial<StepState> = {}): StepState {
  const started = status === 'running' || status === 'succeeded' || status === 'failed';
  return {
    id: name,
    name,
    status,
    dependsOn: [],
    attempt: 1,
    exitCode: null,
    signal: null,
    error: null,
    executorId: started ? 'ex-1' : null,
    sandboxName: started ? `sandbox-${name}` : null,
    imageDigest: null,
    logRef: null,
    logBytes: null,
    queuedAt: status === 'pending' ? null : BEFORE,
    startedAt: started ? BEFORE : null,
    finishedAt: null,
    durationMs: null,
    ...extra,
  };
}

/** The rows once the decision on `events` is written, and its effects. */
export function after(
  run: RunState,
  steps: StepState[],
  events: EngineEvent | EngineEvent[],
  now = NOW,
): { run: RunState; steps: StepState[]; effects: Effect[] } {
  const decision = decideAll(run, steps, [events].flat(), now);
  return { ...applyChanges(run, steps, decision.changes), effects: decision.effects };
}
