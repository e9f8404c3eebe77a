import { Cron } from 'croner';

/** A fixed reference so validation does not depend on the clock; five-field patterns repeat yearly. */
const REFERENCE = new Date('2000-01-01T00:00:00Z');

/** Undefined when `expression` is a valid five-field cron (or @daily-style nickname). */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  const fields = trimmed.split(/\s+/).length;
  if (!trimmed.startsWith('@') && fields !== 5) {
    return `"${expression}" must have 5 fields (minute hour day-of-month month day-of-week), not ${fields}`;
  }
  try {
    schedule(trimmed).stop();
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, '');
    return `"${expression}" is not a valid cron expression: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
  }
  return undefined;
}

/**
 * A warning for a valid expression that never fires (`0 0 31 2 *`). It is not an error: the
 * syntax is right, and CircleCI files park a workflow this way (a date that never comes).
 */
export function cronWarning(expression: string): string | undefined {
  if (cronProblem(expression) !== undefined) return undefined;
  const cron = schedule(expression.trim());
  const next = cron.nextRun(REFERENCE);
  cron.stop();
  return next ? undefined : `"${expression}" never fires, so nothing runs on this schedule`;
}

/** The first fire time strictly after `from`, in UTC; null for an invalid or never-firing expression. */
export function nextScheduleTime(expression: string, from: Date): Date | null {
  if (cronProblem(expression) !== undefined) return null;
  const cron = schedule(expression.trim());
  const next = cron.nextRun(from);
  cron.stop();
  return next;
}

function schedule(expression: string): Cron {
  // `paused` so nothing is ever scheduled in this process; croner is used only as a calculator.
  return new Cron(expression, { paused: true, timezone: 'UTC', mode: '5-part' });
}
