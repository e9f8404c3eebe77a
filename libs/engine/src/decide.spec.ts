import { decide, decideAll, decideGroups } from './decide';
import { after, NOW, runRow, stepRow } from './decide.spec-helper';
import { EngineEvent } from './engine-events';
import { RunStatus, STEP_STATUSES, StepStatus } from './statuses';

/** Events about step `a`, its first attempt. */
const EVENTS: Record<string, EngineEvent> = {
  advance: { type: 'advance' },
  'step started': { type: 'step-started', stepId: 'a', attempt: 1, startedAt: NOW, executorId: 'ex-2', sandboxName: 'sb' },
  'step succeeded': { type: 'step-finished', stepId: 'a', attempt: 1, status: 'succeeded', exitCode: 0, executorId: 'ex-1', finishedAt: NOW },
  'step failed': { type: 'step-finished', stepId: 'a', attempt: 1, status: 'failed', exitCode: 1, executorId: 'ex-1', finishedAt: NOW },
  'step cancelled': { type: 'step-finished', stepId: 'a', attempt: 1, status: 'cancelled', executorId: 'ex-1', error: 'cancelled by ann', finishedAt: NOW },
  'step lost': { type: 'step-lost', stepId: 'a', attempt: 1, reason: 'executor ex-1 lost' },
  'step lost again': { type: 'step-lost', stepId: 'a', attempt: 2, reason: 'executor ex-1 lost' },
  'step timed out': { type: 'step-timed-out', stepId: 'a', attempt: 1, error: 'timed out' },
  'step undeliverable': { type: 'step-undeliverable', stepId: 'a', attempt: 1, error: 'missing project secrets: X' },
  approved: { type: 'approval-decided', stepId: 'a', approved: true, decidedBy: 'ann' },
  rejected: { type: 'approval-decided', stepId: 'a', approved: false, decidedBy: 'ann', comment: 'not today' },
  cancel: { type: 'cancel', requestedBy: 'ann', reason: 'cancelled by ann' },
  fail: { type: 'fail', reason: 'run timed out after 2h' },
  'log archived': { type: 'log-archived', stepId: 'a', attempt: 1, logRef: 'logs/a.log', logBytes: 12n },
};

type Row = [event: string, ...to: StepStatus[]];
// prettier-ignore
/** Step `a`'s status after each event, from each status (in STEP_STATUSES order). Another step keeps the run running. */
const STEP_TABLE: Row[] = [
  //                     pending      queued       running      waiting      succeeded    failed       cancelled    skipped
  ['advance',            'queued',    'queued',    'running',   'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step started',       'running',   'running',   'running',   'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step succeeded',     'pending',   'succeeded', 'succeeded', 'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step failed',        'pending',   'failed',    'failed',    'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step cancelled',     'pending',   'cancelled', 'cancelled', 'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step lost',          'pending',   'queued',    'queued',    'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step timed out',     'failed',    'failed',    'failed',    'failed',    'succeeded', 'failed',    'cancelled', 'skipped'],
  ['step undeliverable', 'failed',    'failed',    'failed',    'failed',    'succeeded', 'failed',    'cancelled', 'skipped'],
  ['approved',           'pending',   'queued',    'running',   'succeeded', 'succeeded', 'failed',    'cancelled', 'skipped'],
  ['rejected',           'pending',   'queued',    'running',   'failed',    'succeeded', 'failed',    'cancelled', 'skipped'],
  ['cancel',             'cancelled', 'cancelled', 'cancelled', 'cancelled', 'succeeded', 'failed',    'cancelled', 'skipped'],
  ['fail',               'cancelled', 'cancelled', 'cancelled', 'cancelled', 'succeeded', 'failed',    'cancelled', 'skipped'],
  ['log archived',       'pending',   'queued',    'running',   'waiting',   'succeeded', 'failed',    'cancelled', 'skipped'],
];

describe('decide: step transitions', () => {
  it('covers every event and every step status', () => {
    expect(STEP_TABLE.map(([event]) => event).sort()).toEqual(Object.keys(EVENTS).filter((e) => e !== 'step lost again').sort());
    for (const row of STEP_TABLE) expect(row).toHaveLength(STEP_STATUSES.length + 1);
  });

  const cases = STEP_TABLE.flatMap(([event, ...to]) => STEP_STATUSES.map((from, i) => [from, event, to[i]] as const));
  it.each(cases)('a %s step after "%s" is %s', (from, event, to) => {
    const steps = [stepRow('a', from, { approval: from === 'waiting' }), stepRow('other', 'running')];
    expect(after(runRow('running'), steps, EVENTS[event]).steps[0].status).toBe(to);
  });

  it('leaves every step of a finished run as it is, but records its archived logs', () => {
    for (const [event] of STEP_TABLE) {
      for (const from of ['succeeded', 'failed', 'cancelled'] as const) {
        const steps = [stepRow('a', 'succeeded'), stepRow('other', 'skipped')];
        const result = after(runRow(from), steps, EVENTS[event]);
        expect(result.run.status).toBe(from);
        expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped']);
        expect(result.steps[0].logRef).toBe(event === 'log archived' ? 'logs/a.log' : null);
      }
    }
  });
});

// prettier-ignore
/** The run's status after an event, from each unfinished status, with step `a` as that status implies. */
const RUN_TABLE: [event: string, from: RunStatus, a: StepStatus, to: RunStatus][] = [
  ['advance',        'queued',  'pending', 'running'],
  ['advance',        'running', 'running', 'running'],
  ['advance',        'waiting', 'waiting', 'waiting'],
  ['step started',   'queued',  'queued',  'running'],
  ['step started',   'running', 'queued',  'running'],
  ['step succeeded', 'running', 'running', 'succeeded'],
  ['step failed',    'running', 'running', 'failed'],
  ['step cancelled', 'running', 'running', 'cancelled'],
  ['step timed out', 'running', 'running', 'failed'],
  ['step lost',      'running', 'running', 'running'],
  ['approved',       'waiting', 'waiting', 'succeeded'],
  ['rejected',       'waiting', 'waiting', 'failed'],
  ['cancel',         'queued',  'pending', 'cancelled'],
  ['cancel',         'running', 'running', 'cancelled'],
  ['cancel',         'waiting', 'waiting', 'cancelled'],
  ['fail',           'queued',  'pending', 'failed'],
  ['fail',           'running', 'running', 'failed'],
  ['fail',           'waiting', 'waiting', 'failed'],
  ['log archived',   'running', 'running', 'running'],
];

describe('decide: run transitions', () => {
  it.each(RUN_TABLE)('"%s" takes a %s run (step %s) to %s', (event, from, a, to) => {
    const result = after(runRow(from), [stepRow('a', a, { approval: a === 'waiting' })], EVENTS[event]);
    expect(result.run.status).toBe(to);
  });

  it('keeps a queued run queued while admission says no', () => {
    const steps = [stepRow('a', 'pending')];
    expect(decide(runRow('queued', { admitted: false }), steps, EVENTS.advance, NOW)).toEqual({ changes: { steps: [] }, effects: [] });
  });
});

describe('decide: fields and effects', () => {
  it('starts a run: ready steps queued and dispatched, the run running since now', () => {
    const steps = [stepRow('a', 'pending'), stepRow('b', 'pending', { dependsOn: ['a'] })];
    const decision = decide(runRow('queued'), steps, EVENTS.advance, NOW);
    expect(decision.changes.run).toEqual({ from: { status: 'queued' }, set: { status: 'running', startedAt: NOW, lastProgressAt: NOW } });
    expect(decision.changes.steps).toEqual([{ id: 'a', from: { status: 'pending', attempt: 1 }, set: { status: 'queued', queuedAt: NOW } }]);
    expect(decision.effects).toEqual([{ type: 'dispatch', stepIds: ['a'] }]);
  });

  it('records a started step and the start of its run', () => {
    const result = after(runRow('queued'), [stepRow('a', 'queued')], { ...EVENTS['step started'], imageDigest: 'node@sha256:1' } as EngineEvent);
    expect(result.steps[0]).toMatchObject({ status: 'running', startedAt: NOW, executorId: 'ex-2', sandboxName: 'sb', imageDigest: 'node@sha256:1' });
    expect(result.run).toMatchObject({ status: 'running', startedAt: NOW, lastProgressAt: NOW });
    expect(result.effects).toEqual([]);
  });

  it('records how a step ended, its duration from its start, and the image it pushed', () => {
    const event = { ...EVENTS['step failed'], signal: 'SIGKILL', error: 'OOM', pushedImage: 'r/app@sha256:2' } as EngineEvent;
    const result = after(runRow('running'), [stepRow('a', 'running'), stepRow('other', 'running')], event);
    expect(result.steps[0]).toMatchObject({ status: 'failed', exitCode: 1, signal: 'SIGKILL', error: 'OOM', imageDigest: 'r/app@sha256:2', finishedAt: NOW, durationMs: 3_600_000 });
  });

  it('retries a failed attempt with attempts left as a clean next attempt', () => {
    const result = after(runRow('running'), [stepRow('a', 'running', { retry: 1 })], EVENTS['step failed']);
    expect(result.steps[0]).toMatchObject({ status: 'queued', attempt: 2, exitCode: null, error: null, startedAt: null, finishedAt: null, queuedAt: NOW });
    expect(result.effects).toEqual([{ type: 'dispatch', stepIds: ['a'] }]);
    // The first attempt's late events change nothing.
    expect(after(result.run, result.steps, EVENTS['step failed']).steps).toEqual(result.steps);
    expect(after(result.run, result.steps, EVENTS['step started']).steps).toEqual(result.steps);
  });

  it('runs a lost step once more, then fails it', () => {
    const once = after(runRow('running'), [stepRow('a', 'running')], EVENTS['step lost']);
    expect(once.steps[0]).toMatchObject({ status: 'queued', attempt: 2, executorId: null, sandboxName: null, startedAt: null, error: 'attempt 1: executor ex-1 lost; retrying' });
    const running = after(once.run, once.steps, { ...EVENTS['step started'], attempt: 2 } as EngineEvent);
    const twice = after(running.run, running.steps, EVENTS['step lost again']);
    expect(twice.steps[0]).toMatchObject({ status: 'failed', attempt: 2, error: 'executor ex-1 lost' });
    expect(twice.run.status).toBe('failed');
    expect(twice.effects).toEqual([{ type: 'run-finished' }]);
  });

  it('ends a run with one reason: unfinished steps cancelled, finished ones kept', () => {
    const steps = [stepRow('a', 'succeeded'), stepRow('b', 'running'), stepRow('c', 'pending')];
    const result = after(runRow('running'), steps, EVENTS.cancel);
    expect(result.run).toMatchObject({ status: 'cancelled', error: 'cancelled by ann', finishedAt: NOW });
    expect(result.steps.map((s) => [s.status, s.error])).toEqual([['succeeded', null], ['cancelled', 'cancelled by ann'], ['cancelled', 'cancelled by ann']]);
    expect(result.effects).toEqual([{ type: 'run-finished' }]);
  });

  it('stops the sandboxes of a run the platform failed before reporting it', () => {
    const result = after(runRow('running'), [stepRow('a', 'running')], EVENTS.fail);
    expect(result.effects).toEqual([{ type: 'cancel-sandboxes', requestedBy: 'kiln', reason: 'run timed out after 2h' }, { type: 'run-finished' }]);
  });

  it('cancels what runs with fail_fast and stops its sandboxes', () => {
    const steps = [stepRow('a', 'running'), stepRow('b', 'running')];
    const result = after(runRow('running', { failFast: true }), steps, EVENTS['step failed']);
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'cancelled']);
    expect(result.effects).toEqual([{ type: 'cancel-sandboxes', requestedBy: 'fail_fast', reason: 'cancelled by fail_fast' }, { type: 'run-finished' }]);
  });

  it('waits for a person at an approval and goes on once approved', () => {
    const steps = [stepRow('gate', 'pending', { approval: true }), stepRow('a', 'pending', { dependsOn: ['gate'] })];
    const waiting = after(runRow('queued'), steps, EVENTS.advance);
    expect(waiting.run.status).toBe('waiting');
    expect(waiting.effects).toEqual([]);
    const approved = after(waiting.run, waiting.steps, { ...EVENTS.approved, stepId: 'gate' } as EngineEvent);
    expect(approved.steps.map((s) => s.status)).toEqual(['succeeded', 'queued']);
    expect(approved.steps[0]).toMatchObject({ startedAt: NOW, finishedAt: NOW, durationMs: 0 });
    expect(approved.run.status).toBe('running');
    const rejected = after(waiting.run, waiting.steps, { ...EVENTS.rejected, stepId: 'gate' } as EngineEvent);
    expect(rejected.steps[0].error).toBe('rejected by ann: not today');
    expect(rejected.steps[1]).toMatchObject({ status: 'skipped', error: 'skipped: dependency "gate" failed' });
  });

  it('points a step at the log of its current attempt only', () => {
    const step = stepRow('a', 'succeeded', { attempt: 2 });
    expect(after(runRow('running'), [step], EVENTS['log archived']).steps[0].logRef).toBeNull();
    const current = { ...EVENTS['log archived'], attempt: 2 } as EngineEvent;
    expect(after(runRow('running'), [step], current).steps[0]).toMatchObject({ logRef: 'logs/a.log', logBytes: 12n });
  });

  it('decides a batch of events as one decision, effects once', () => {
    const steps = [stepRow('a', 'running'), stepRow('b', 'running'), stepRow('c', 'pending', { dependsOn: ['a', 'b'] })];
    const b = (e: EngineEvent) => ({ ...e, stepId: 'b' }) as EngineEvent;
    const result = after(runRow('running'), steps, [EVENTS['step succeeded'], b(EVENTS['step succeeded']), EVENTS['step succeeded']]);
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'queued']);
    expect(result.effects).toEqual([{ type: 'dispatch', stepIds: ['c'] }]);
  });

  it("tells each caller of a batch whether its events changed a row, on top of the callers' before it", () => {
    const steps = [stepRow('a', 'running'), stepRow('b', 'running'), stepRow('c', 'pending', { dependsOn: ['a', 'b'] })];
    const b = (e: EngineEvent) => ({ ...e, stepId: 'b' }) as EngineEvent;
    const groups = [[EVENTS['step succeeded']], [EVENTS['step succeeded']], [b(EVENTS['step succeeded']), EVENTS['log archived']]];
    const grouped = decideGroups(runRow('running'), steps, groups, NOW);
    expect(grouped.changedBy).toEqual([true, false, true]);
    const { changedBy: _changedBy, ...decision } = grouped;
    expect(decision).toEqual(decideAll(runRow('running'), steps, groups.flat(), NOW));
  });

  it('changes nothing for an event about a step the run does not have', () => {
    const decision = decide(runRow('running'), [stepRow('a', 'running')], { ...EVENTS['step succeeded'], stepId: 'x' } as EngineEvent, NOW);
    expect(decision).toEqual({ changes: { steps: [] }, effects: [] });
  });
});
