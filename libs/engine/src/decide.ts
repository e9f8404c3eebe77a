import { EngineEvent, LOST_STEP_ATTEMPTS } from './engine-events';
import { Changes, Decision, Effect, RUN_FIELDS, RunState, STEP_FIELDS, StepChange, StepState } from './engine-state';
import { allStepsFinished, runOutcome, waitingOnly } from './run-outcome';
import { isTerminalRun, StepStatus, UNFINISHED_STEP_STATUSES } from './statuses';
import { planSteps } from './step-plan';

interface Working {
  run: RunState;
  steps: StepState[];
  effects: Effect[];
  /** The plan ran: the queued steps are (re)dispatched. */
  advanced: boolean;
}

type StepEvent = Extract<EngineEvent, { stepId: string; attempt: number }>;

const UNFINISHED: readonly StepStatus[] = UNFINISHED_STEP_STATUSES;

/**
 * The run engine: what an event does to a run and its steps, as guarded row changes and the
 * effects to perform once they are committed. Pure: the caller passes the time and the rows it
 * read under the run's lock. A finished run never changes (a retry is a new run), an event for an
 * attempt that is no longer current changes nothing, and handling an event twice changes nothing.
 */
export function decide(run: RunState, steps: StepState[], event: EngineEvent, now: Date): Decision {
  return decideAll(run, steps, [event], now);
}

/** Several events of one run, in order, as one decision (one transaction for the writer). */
export function decideAll(run: RunState, steps: StepState[], events: EngineEvent[], now: Date): Decision {
  const { changes, effects } = decideGroups(run, steps, [events], now);
  return { changes, effects };
}

/**
 * The events of several callers, group after group, as one decision; `changedBy[i]` says whether
 * group i changed a row on top of the groups before it (what the caller of that group reports).
 */
export function decideGroups(run: RunState, steps: StepState[], groups: EngineEvent[][], now: Date): Decision & { changedBy: boolean[] } {
  const w: Working = { run: { ...run }, steps: steps.map((s) => ({ ...s })), effects: [], advanced: false };
  const changedBy = groups.map((events) => {
    const before = { run: { ...w.run }, steps: w.steps.map((s) => ({ ...s })) };
    for (const event of events) apply(w, event, now);
    const changes = changesBetween(before.run, before.steps, w);
    return changes.run !== undefined || changes.steps.length > 0;
  });
  return { changes: changesBetween(run, steps, w), effects: effectsOf(run, w), changedBy };
}

function apply(w: Working, event: EngineEvent, now: Date): void {
  if (isTerminalRun(w.run.status) && event.type !== 'log-archived') return;
  switch (event.type) {
    case 'advance':
      return advance(w, now);
    case 'step-started':
      return started(w, event, now);
    case 'step-finished': {
      const step = current(w, event);
      if (!step || (step.status !== 'queued' && step.status !== 'running')) return;
      const startedAt = step.startedAt ?? event.startedAt ?? null;
      Object.assign(step, {
        status: event.status,
        exitCode: event.exitCode ?? null,
        signal: event.signal ?? null,
        error: event.error ?? null,
        executorId: event.executorId,
        ...(event.pushedImage ? { imageDigest: event.pushedImage } : {}),
        startedAt,
        finishedAt: event.finishedAt,
        durationMs: startedAt ? Math.max(0, event.finishedAt.getTime() - startedAt.getTime()) : null,
      });
      // An executor cancels a step only on a run cancel, which is on its way here too: whichever
      // arrives first ends the run the same way (pending steps cancelled, not skipped or started).
      if (event.status === 'cancelled') return terminate(w, 'cancelled', event.error ?? 'cancelled', now);
      return advance(w, now);
    }
    case 'step-lost':
      return lost(w, event, now);
    case 'step-timed-out':
    case 'step-undeliverable': {
      const step = current(w, event);
      if (!step || !UNFINISHED.includes(step.status)) return;
      Object.assign(step, { status: 'failed', error: event.error, finishedAt: now });
      return advance(w, now);
    }
    case 'approval-decided': {
      const step = w.steps.find((s) => s.id === event.stepId);
      if (!step || step.status !== 'waiting') return;
      const reason = `rejected by ${event.decidedBy}${event.comment ? `: ${event.comment}` : ''}`;
      Object.assign(step, {
        status: event.approved ? 'succeeded' : 'failed',
        error: event.approved ? null : reason,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
      });
      return advance(w, now);
    }
    case 'cancel':
      return terminate(w, 'cancelled', event.reason, now);
    case 'fail':
      return terminate(w, 'failed', event.reason, now);
    case 'log-archived': {
      const { set } = logArchivedChange(event);
      const step = current(w, event);
      if (step) Object.assign(step, set);
      return;
    }
  }
}

/**
 * What a `log-archived` event changes: its step's log columns while the event's attempt is the
 * step's current one, whatever the step's or the run's status, and nothing else (no plan, no
 * effect). The log of an attempt a retry replaced is stored all the same; the row points at the
 * newest. Since it needs nothing else of the run, the writer applies it as one guarded update.
 */
export function logArchivedChange(event: Extract<EngineEvent, { type: 'log-archived' }>): {
  stepId: string;
  attempt: number;
  set: Pick<StepState, 'logRef' | 'logBytes'>;
} {
  return { stepId: event.stepId, attempt: event.attempt, set: { logRef: event.logRef, logBytes: event.logBytes } };
}

/** The step of an event about one attempt, while that attempt is the step's current one. */
function current(w: Working, event: StepEvent): StepState | undefined {
  return w.steps.find((s) => s.id === event.stepId && s.attempt === event.attempt);
}

function started(w: Working, event: Extract<EngineEvent, { type: 'step-started' }>, now: Date): void {
  const step = current(w, event);
  if (!step || (step.status !== 'pending' && step.status !== 'queued')) return;
  Object.assign(step, {
    status: 'running',
    startedAt: event.startedAt,
    executorId: event.executorId,
    sandboxName: event.sandboxName,
    ...(event.imageDigest ? { imageDigest: event.imageDigest } : {}),
  });
  if (w.run.status === 'queued' || w.run.status === 'running') Object.assign(w.run, { status: 'running', lastProgressAt: now });
  w.run.startedAt ??= event.startedAt;
}

function lost(w: Working, event: Extract<EngineEvent, { type: 'step-lost' }>, now: Date): void {
  const step = current(w, event);
  if (!step) return;
  if (step.attempt >= LOST_STEP_ATTEMPTS) {
    if (!UNFINISHED.includes(step.status)) return;
    Object.assign(step, { status: 'failed', error: event.reason, finishedAt: now });
  } else {
    if (step.status !== 'running') return;
    Object.assign(step, {
      status: 'queued',
      attempt: step.attempt + 1,
      executorId: null,
      sandboxName: null,
      startedAt: null,
      queuedAt: now,
      error: `attempt ${step.attempt}: ${event.reason}; retrying`,
    });
  }
  advance(w, now);
}

/** Ends the run and its unfinished steps with one reason, the same whichever event got here first. */
function terminate(w: Working, status: 'cancelled' | 'failed', reason: string, now: Date): void {
  if (isTerminalRun(w.run.status)) return;
  for (const step of w.steps) {
    if (UNFINISHED.includes(step.status)) Object.assign(step, { status: 'cancelled', error: reason, finishedAt: now });
  }
  Object.assign(w.run, { status, error: reason, finishedAt: now, lastProgressAt: now });
  // A run the platform ended may still have sandboxes on any executor; `kiln.run.finished` reaches
  // only one of them, a cancel reaches all, and goes first so the steps' logs say why they stopped.
  // (A person's cancel reached the executors already: the gateway publishes it.)
  if (status === 'failed') w.effects.push({ type: 'cancel-sandboxes', requestedBy: 'kiln', reason });
}

/** Queue ready steps, skip blocked ones, retry failed ones, finish the run when nothing is left. */
function advance(w: Working, now: Date): void {
  if (isTerminalRun(w.run.status) || (w.run.status === 'queued' && !w.run.admitted)) return;
  const plan = planSteps(w.steps, { failFast: w.run.failFast, run: w.run.context });
  const byId = new Map(w.steps.map((s) => [s.id, s]));
  const set = (id: string, fields: Partial<StepState>) => Object.assign(byId.get(id) as StepState, fields);
  for (const { id, reason } of plan.skip) set(id, { status: 'skipped', error: reason, finishedAt: now });
  for (const { id, reason } of plan.cancel) set(id, { status: 'cancelled', error: reason, finishedAt: now });
  for (const id of plan.queue) set(id, { status: 'queued', queuedAt: now });
  for (const id of plan.wait) set(id, { status: 'waiting', queuedAt: now });
  for (const id of plan.retry) {
    // The next attempt starts clean; the failed attempt's outcome stays in its log.
    const attempt = (byId.get(id) as StepState).attempt + 1;
    set(id, { status: 'queued', attempt, exitCode: null, signal: null, error: null, startedAt: null, finishedAt: null, durationMs: null, queuedAt: now });
  }
  if (plan.cancel.length > 0) w.effects.push({ type: 'cancel-sandboxes', requestedBy: 'fail_fast', reason: 'cancelled by fail_fast' });
  if (allStepsFinished(w.steps)) {
    Object.assign(w.run, { status: runOutcome(w.steps), finishedAt: now, lastProgressAt: now });
  } else {
    Object.assign(w.run, { status: waitingOnly(w.steps) ? 'waiting' : 'running', startedAt: w.run.startedAt ?? now, lastProgressAt: now });
  }
  w.advanced = true;
}

function effectsOf(before: RunState, w: Working): Effect[] {
  const effects: Effect[] = [];
  const seen = new Set<string>();
  for (const effect of w.effects) {
    const key = JSON.stringify(effect);
    if (!seen.has(key)) effects.push(effect);
    seen.add(key);
  }
  const queued = w.steps.filter((s) => s.status === 'queued').map((s) => s.id);
  if (w.advanced && queued.length > 0) effects.push({ type: 'dispatch', stepIds: queued });
  if (!isTerminalRun(before.status) && isTerminalRun(w.run.status)) effects.push({ type: 'run-finished' });
  return effects;
}

function changesBetween(run: RunState, steps: StepState[], w: Working): Changes {
  const changes: Changes = { steps: [] };
  const runSet = differences(run, w.run, RUN_FIELDS);
  if (Object.keys(runSet).length > 0) changes.run = { from: { status: run.status }, set: runSet };
  steps.forEach((before, i) => {
    const set = differences(before, w.steps[i], STEP_FIELDS);
    if (Object.keys(set).length > 0) changes.steps.push({ id: before.id, from: { status: before.status, attempt: before.attempt }, set } as StepChange);
  });
  return changes;
}

function differences<T extends object, K extends keyof T>(before: T, after: T, fields: readonly K[]): Partial<Pick<T, K>> {
  const set: Partial<Pick<T, K>> = {};
  for (const field of fields) if (!same(before[field], after[field])) set[field] = after[field];
  return set;
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
