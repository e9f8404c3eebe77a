import { Changes, RunFields, StepFields } from '@kiln/engine';
import { PoolClient } from 'pg';

/** A field's column and how its parameter is cast (dates travel as ISO text, bigints as text). */
type Cast = 'text' | 'int' | 'bigint' | 'uuid' | 'uuid[]' | 'timestamp' | '"RunStatus"' | '"StepStatus"';
type Column = { name: string; cast: Cast };

const RUN_COLUMNS: Record<keyof RunFields, Column> = {
  status: { name: 'status', cast: '"RunStatus"' },
  error: { name: 'error', cast: 'text' },
  startedAt: { name: 'started_at', cast: 'timestamp' },
  finishedAt: { name: 'finished_at', cast: 'timestamp' },
  lastProgressAt: { name: 'last_progress_at', cast: 'timestamp' },
};

const STEP_COLUMNS: Record<keyof StepFields, Column> = {
  status: { name: 'status', cast: '"StepStatus"' },
  attempt: { name: 'attempt', cast: 'int' },
  exitCode: { name: 'exit_code', cast: 'int' },
  signal: { name: 'signal', cast: 'text' },
  error: { name: 'error', cast: 'text' },
  executorId: { name: 'executor_id', cast: 'text' },
  sandboxName: { name: 'sandbox_name', cast: 'text' },
  imageDigest: { name: 'image_digest', cast: 'text' },
  logRef: { name: 'log_ref', cast: 'text' },
  logBytes: { name: 'log_bytes', cast: 'bigint' },
  queuedAt: { name: 'queued_at', cast: 'timestamp' },
  startedAt: { name: 'started_at', cast: 'timestamp' },
  finishedAt: { name: 'finished_at', cast: 'timestamp' },
  durationMs: { name: 'duration_ms', cast: 'int' },
};

/** Numbered parameters of one statement. */
class Parameters {
  readonly values: unknown[] = [];

  /** `$n` cast to the column's type; a `timestamp(3)` column holds UTC, whatever the process's zone. */
  add(value: unknown, cast: Cast): string {
    this.values.push(value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value);
    const ref = `$${this.values.length}`;
    return cast === 'timestamp' ? `(${ref}::timestamptz AT TIME ZONE 'UTC')` : `${ref}::${cast}`;
  }
}

function assignments<F extends string>(set: Partial<Record<F, unknown>>, columns: Record<F, Column>, params: Parameters): string {
  return (Object.keys(set) as F[]).map((field) => `${columns[field].name} = ${params.add(set[field], columns[field].cast)}`).join(', ');
}

/**
 * The statement writing a decision's guarded changes, or null when there are none: steps that
 * change alike share one UPDATE, and every UPDATE is one statement (data-modifying WITH clauses
 * always run). Each keeps its guard, so a change decided on stale rows changes nothing.
 */
export function writeStatement(runId: string, decided: Changes): { text: string; values: unknown[] } | null {
  const changes = withoutUndefined(decided);
  if (!changes.run && changes.steps.length === 0) return null;
  const params = new Parameters();
  const run = params.add(runId, 'uuid');
  const groups = new Map<string, { ids: string[]; change: Changes['steps'][number] }>();
  for (const change of changes.steps) {
    const key = JSON.stringify([change.from, change.set], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const group = groups.get(key) ?? { ids: [], change };
    group.ids.push(change.id);
    groups.set(key, group);
  }
  const updates = [...groups.values()].map(({ ids, change }, i) => {
    const set = assignments(change.set, STEP_COLUMNS, params);
    const where = `id = ANY(${params.add(ids, 'uuid[]')}) AND run_id = ${run}
      AND status = ${params.add(change.from.status, '"StepStatus"')} AND attempt = ${params.add(change.from.attempt, 'int')}`;
    return `s${i} AS (UPDATE steps SET ${set} WHERE ${where} RETURNING 1)`;
  });
  const last = changes.run
    ? `UPDATE runs SET ${assignments(changes.run.set, RUN_COLUMNS, params)}
      WHERE id = ${run} AND status = ${params.add(changes.run.from.status, '"RunStatus"')}`
    : 'SELECT 1';
  return { text: `${updates.length > 0 ? `WITH ${updates.join(',\n')}\n` : ''}${last}`, values: params.values };
}

/** As Prisma writes a change: a field set to `undefined` stays as it is, and a change of nothing is none. */
function withoutUndefined(changes: Changes): Changes {
  const defined = <T extends object>(set: T): T => Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as T;
  const run = changes.run && { ...changes.run, set: defined(changes.run.set) };
  return {
    ...(run && Object.keys(run.set).length > 0 ? { run } : {}),
    steps: changes.steps.map((c) => ({ ...c, set: defined(c.set) })).filter((c) => Object.keys(c.set).length > 0),
  };
}

export async function writeChanges(client: PoolClient, runId: string, changes: Changes): Promise<void> {
  const statement = writeStatement(runId, changes);
  if (statement) await client.query(statement);
}
