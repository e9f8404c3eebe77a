import { RUN_EVENTS, RunRequestedEvent, TRIGGER_TYPES } from './events/run-requested.event';
import { isShortString, isUuid } from './fast-check-rules';

const TRIGGERS = new Set<unknown>(TRIGGER_TYPES);
const EVENTS = new Set<unknown>(RUN_EVENTS);
// What Date.toISOString() writes: a strict subset of what IsISO8601() accepts.
const ISO_INSTANT =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * A run request that certainly passes RunRequestedEvent's class-validator rules, as its class;
 * undefined when it may not (the caller then runs class-validator, which names every problem).
 * Every webhook delivery publishes one and the scheduler reads each: class-validator was about a
 * tenth of the webhook receiver's CPU per delivery. Stricter than the decorators in corner cases
 * (null for an optional field, String objects, timestamps not in toISOString()'s form), never looser.
 */
export function checkedRunRequest(data: object): RunRequestedEvent | undefined {
  const r = data as Partial<Record<keyof RunRequestedEvent, unknown>>;
  const optional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
  const valid =
    r.version === 1 &&
    isUuid(r.runId) &&
    isUuid(r.projectId) &&
    isUuid(r.pipelineId) &&
    TRIGGERS.has(r.trigger) &&
    isShortString(r.triggeredBy, 200) &&
    EVENTS.has(r.event) &&
    isShortString(r.gitRef, 1000) &&
    optional(r.branch, (v) => isShortString(v, 1000)) &&
    optional(r.tag, (v) => isShortString(v, 1000)) &&
    optional(r.commitSha, (v) => isShortString(v, 64)) &&
    optional(r.commitMessage, (v) => isShortString(v, 2000)) &&
    optional(r.commitAuthor, (v) => isShortString(v, 200)) &&
    optional(r.pullRequestUrl, (v) => isShortString(v, 1000)) &&
    optional(r.mrAction, (v) => typeof v === 'string') &&
    optional(r.fromFork, (v) => typeof v === 'boolean') &&
    optional(r.deliveryId, isUuid) &&
    optional(r.retryOfId, isUuid) &&
    optional(r.failedOnly, (v) => typeof v === 'boolean') &&
    // Manual runs with variables are rare: class-validator checks them.
    r.variables === undefined &&
    typeof r.applyTriggerFilters === 'boolean' &&
    typeof r.requestedAt === 'string' &&
    ISO_INSTANT.test(r.requestedAt);
  return valid ? Object.assign(new RunRequestedEvent(), data) : undefined;
}
