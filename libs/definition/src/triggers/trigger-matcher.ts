import { TriggerDefinition } from '../definition.model';
import { globMatch } from './glob-match';
import { DEFAULT_MERGE_REQUEST_ACTIONS, normalizeMergeRequestAction } from './mr-actions';

/** The webhook receiver logs and returns `reason`, so it says which filter decided and why. */
export interface TriggerMatch {
  matched: boolean;
  reason: string;
}

export interface PushEvent {
  /** Branch name; a full `refs/heads/...` ref is accepted too. */
  branch?: string;
  /** Tag name; a full `refs/tags/...` ref is accepted too. */
  tag?: string;
}

function hasNoOn(on: TriggerDefinition | undefined): boolean {
  return !on || (on.push === undefined && on.mr === undefined && on.schedule === undefined);
}

/**
 * Push rules: no `on:` at all runs every push. With `on.push`, a branch push runs when `branches`
 * is absent or one of its globs matches; a tag push runs when one of `tags` matches, or when
 * `on.push` has neither list (an empty `push:` means every push).
 */
export function matchesPush(on: TriggerDefinition | undefined, event: PushEvent): TriggerMatch {
  if (hasNoOn(on)) return { matched: true, reason: 'the definition has no "on" section, so every push runs' };
  const push = on?.push;
  if (!push) return { matched: false, reason: 'the definition has no "on.push" trigger' };
  const tag = event.tag?.replace(/^refs\/tags\//, '');
  const branch = event.branch?.replace(/^refs\/heads\//, '');
  if (tag) {
    if (!push.tags) {
      return push.branches
        ? { matched: false, reason: `tag "${tag}": "on.push" lists branches but no tags` }
        : { matched: true, reason: `tag "${tag}": "on.push" has no filters, so every push runs` };
    }
    return matchList('tag', tag, push.tags, 'on.push.tags');
  }
  if (branch) {
    if (!push.branches)
      return { matched: true, reason: `branch "${branch}": "on.push" has no branch filter` };
    return matchList('branch', branch, push.branches, 'on.push.branches');
  }
  return { matched: false, reason: 'the push names neither a branch nor a tag' };
}

/** Merge request rules: no `on:` at all, or `on.mr` without actions, means opened/synchronized/reopened. */
export function matchesMergeRequest(on: TriggerDefinition | undefined, action: string): TriggerMatch {
  const canonical = normalizeMergeRequestAction(action);
  if (!canonical) return { matched: false, reason: `unknown merge request action "${action}"` };
  const noOn = hasNoOn(on);
  if (!noOn && !on?.mr) return { matched: false, reason: 'the definition has no "on.mr" trigger' };
  const actions = on?.mr?.actions ?? DEFAULT_MERGE_REQUEST_ACTIONS;
  const source = noOn ? 'the default actions (no "on" section)' : 'on.mr.actions';
  return actions.includes(canonical)
    ? { matched: true, reason: `action "${canonical}" is in ${source}` }
    : { matched: false, reason: `action "${canonical}" is not in ${source} (${actions.join(', ')})` };
}

function matchList(kind: string, value: string, patterns: readonly string[], where: string): TriggerMatch {
  const pattern = patterns.find((p) => globMatch(p, value));
  return pattern !== undefined
    ? { matched: true, reason: `${kind} "${value}" matches "${pattern}" in ${where}` }
    : { matched: false, reason: `${kind} "${value}" matches none of ${where} (${patterns.join(', ')})` };
}
