import { MergeRequestAction } from '../definition.model';

export const MERGE_REQUEST_ACTIONS: readonly MergeRequestAction[] = [
  'opened',
  'synchronized',
  'reopened',
  'closed',
  'merged',
];

/** What runs when merge requests are wanted but no actions are listed (GitHub's default too). */
export const DEFAULT_MERGE_REQUEST_ACTIONS: readonly MergeRequestAction[] = [
  'opened',
  'synchronized',
  'reopened',
];

/**
 * Provider spellings mapped to the canonical action. GitHub reports a merge as `closed` with
 * `merged: true`; the webhook receiver passes `merged` in that case.
 */
const ALIASES: Record<string, MergeRequestAction> = {
  opened: 'opened',
  open: 'opened',
  synchronized: 'synchronized',
  synchronize: 'synchronized',
  update: 'synchronized',
  updated: 'synchronized',
  reopened: 'reopened',
  reopen: 'reopened',
  closed: 'closed',
  close: 'closed',
  merged: 'merged',
  merge: 'merged',
};

export const MERGE_REQUEST_ACTION_SPELLINGS: readonly string[] = Object.keys(ALIASES);

export function normalizeMergeRequestAction(action: string): MergeRequestAction | undefined {
  const key = action.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}
