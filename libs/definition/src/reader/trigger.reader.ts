import { MergeRequestAction, TriggerDefinition } from '../definition.model';
import { didYouMean } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { cronProblem, cronWarning } from '../triggers/cron-schedule';
import { globProblem } from '../triggers/glob-match';
import {
  DEFAULT_MERGE_REQUEST_ACTIONS,
  MERGE_REQUEST_ACTION_SPELLINGS,
  MERGE_REQUEST_ACTIONS,
  normalizeMergeRequestAction,
} from '../triggers/mr-actions';
import { isNullNode, YamlNode } from '../yaml/yaml-node';
import { FieldReader, valueOf } from './field.reader';

const UNSUPPORTED_TRIGGERS: Record<string, string> = {
  pull_request: '"pull_request" is spelt "mr" in Kiln',
  merge_request: '"merge_request" is spelt "mr" in Kiln',
  tag: 'tag pushes are filtered with "push: { tags: [...] }"',
  cron: '"cron" is spelt "schedule" in Kiln',
};

/** Reads `on`; an absent section is `{}` (every push and merge request), an empty one is an error. */
export function readTriggers(node: YamlNode, path: string, reader: FieldReader): TriggerDefinition {
  const mapping = reader.mapping(node, path, 'a mapping with "push", "mr" and/or "schedule"');
  if (!mapping) return {};
  if (mapping.entries.length === 0) {
    reader.problems.error(
      path,
      node,
      'must name at least one of push, mr, schedule (remove "on" to run on every push and merge request)',
    );
    return {};
  }
  reader.keys(mapping, path, ['push', 'mr', 'schedule'], UNSUPPORTED_TRIGGERS);
  const on: TriggerDefinition = {};
  const push = valueOf(mapping, 'push');
  if (push) on.push = readPush(push, childPath(path, 'push'), reader);
  const mr = valueOf(mapping, 'mr');
  if (mr) on.mr = { actions: readActions(mr, childPath(path, 'mr'), reader) };
  const schedule = valueOf(mapping, 'schedule');
  if (schedule) {
    const cron = reader.string(schedule, childPath(path, 'schedule'));
    const problem = cron === undefined ? undefined : cronProblem(cron);
    const warning = cron === undefined ? undefined : cronWarning(cron);
    if (problem) reader.problems.error(childPath(path, 'schedule'), schedule, problem);
    else if (cron !== undefined) on.schedule = cron.trim();
    if (warning) reader.problems.warn(childPath(path, 'schedule'), schedule, warning);
  }
  return on;
}

function readPush(node: YamlNode, path: string, reader: FieldReader): NonNullable<TriggerDefinition['push']> {
  if (isNullNode(node)) return {};
  const mapping = reader.mapping(node, path, 'a mapping with "branches" and/or "tags"');
  if (!mapping) return {};
  reader.keys(mapping, path, ['branches', 'tags']);
  const push: NonNullable<TriggerDefinition['push']> = {};
  for (const key of ['branches', 'tags'] as const) {
    const value = valueOf(mapping, key);
    if (!value) continue;
    const items = reader.stringList(value, childPath(path, key)) ?? [];
    if (value.kind === 'sequence' && items.length === 0) {
      reader.problems.error(childPath(path, key), value, 'must list at least one pattern');
    }
    for (const item of items) {
      const problem = globProblem(item.value);
      if (problem) reader.problems.error(item.path, item.node, problem);
    }
    push[key] = items.map((item) => item.value);
  }
  return push;
}

function readActions(node: YamlNode, path: string, reader: FieldReader): MergeRequestAction[] {
  if (isNullNode(node)) return [...DEFAULT_MERGE_REQUEST_ACTIONS];
  const mapping = reader.mapping(node, path, 'a mapping with "actions"');
  if (!mapping) return [];
  reader.keys(mapping, path, ['actions']);
  const value = valueOf(mapping, 'actions');
  if (!value) return [...DEFAULT_MERGE_REQUEST_ACTIONS];
  const actions = new Set<MergeRequestAction>();
  const items = reader.stringList(value, childPath(path, 'actions')) ?? [];
  if (value.kind === 'sequence' && value.items.length === 0) {
    reader.problems.error(
      childPath(path, 'actions'),
      value,
      'must list at least one action (remove "actions" for the defaults)',
    );
  }
  for (const item of items) {
    const action = normalizeMergeRequestAction(item.value);
    if (action) actions.add(action);
    else {
      const near = didYouMean(item.value, MERGE_REQUEST_ACTION_SPELLINGS);
      const hint = near
        ? ` (did you mean "${normalizeMergeRequestAction(near)}"?)`
        : `; use ${MERGE_REQUEST_ACTIONS.join(', ')}`;
      reader.problems.error(item.path, item.node, `unknown merge request action "${item.value}"${hint}`);
    }
  }
  return [...actions];
}
