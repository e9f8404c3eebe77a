import { RUN_EVENTS, RunEventName, StepCondition, TriggerDefinition } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { isNullNode, YamlNode } from '../yaml/yaml-node';

/** When one workflow job runs: on which branch and tag pushes, or only on the workflow's schedule. */
export interface JobFilter {
  /** Undefined: every branch. Empty: no branch. */
  branches?: string[];
  /** Undefined: no tag (CircleCI's default); globs otherwise. */
  tags?: string[];
  schedule?: string;
}

/**
 * Reads a workflow job's `filters`. Names and `/regex/` forms become Kiln globs; `ignore` lists
 * cannot be expressed (Kiln filters only include), so they widen the filter, with a warning.
 */
export function readFilters(node: YamlNode | undefined, path: string, reader: FieldReader): JobFilter {
  if (!node || isNullNode(node)) return {};
  const mapping = reader.mapping(node, path, 'a mapping with "branches" and/or "tags"');
  if (!mapping) return {};
  reader.keys(mapping, path, ['branches', 'tags', 'pull_requests']);
  const filter: JobFilter = {};
  const branches = valueOf(mapping, 'branches');
  if (branches) filter.branches = readOnly(branches, childPath(path, 'branches'), reader);
  const tags = valueOf(mapping, 'tags');
  if (tags) filter.tags = readOnly(tags, childPath(path, 'tags'), reader) ?? ['**'];
  const pulls = valueOf(mapping, 'pull_requests');
  if (pulls)
    reader.problems.warn(
      childPath(path, 'pull_requests'),
      pulls,
      'is ignored: Kiln filters pushes by branch and tag',
    );
  return filter;
}

function readOnly(node: YamlNode, path: string, reader: FieldReader): string[] | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "only" and/or "ignore"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['only', 'ignore']);
  const ignore = valueOf(mapping, 'ignore');
  // `ignore: /.*/` is how CircleCI says "no branch" (tag-only jobs).
  if (ignore?.kind === 'scalar' && ignore.text === '/.*/' && !valueOf(mapping, 'only')) return [];
  if (ignore) {
    reader.problems.warn(
      childPath(path, 'ignore'),
      ignore,
      'Kiln filters cannot exclude; the job also runs for these',
    );
  }
  const only = valueOf(mapping, 'only');
  if (!only) return undefined;
  return (reader.stringList(only, childPath(path, 'only')) ?? []).flatMap((item) => {
    const glob = globOf(item.value);
    if (
      glob !== undefined &&
      glob.includes('*') &&
      !item.value.includes('.*') &&
      item.value.startsWith('/')
    ) {
      reader.problems.warn(
        item.path,
        item.node,
        `is matched as the glob "${glob}", which may also match names the expression does not`,
      );
    }
    if (glob === undefined) {
      reader.problems.error(
        item.path,
        item.node,
        `the regular expression "${item.value}" has no Kiln glob equivalent; list the names or use "*" and "**"`,
      );
      return [];
    }
    return [glob];
  });
}

/** `/^release\/.*$/` -> `release/**`; a plain name stays itself; other regular expressions are undefined. */
export function globOf(filter: string): string | undefined {
  const regex = /^\/(.*)\/$/.exec(filter);
  if (!regex) return filter;
  const body = regex[1].replace(/^\^/, '').replace(/\$$/, '');
  // `.*` becomes `**`; `\d+`, `\w+` and character classes become `*` (wider, so a warning says so).
  const parts = body.split(/(\.\*|\.\+|(?:\\[dw]|\[[^\]]*\])[+*]?)/);
  const glob = parts.map((part, i) => {
    if (i % 2 === 1) return part.startsWith('.') ? '**' : '*';
    return /[[\](){}|+?^$.]/.test(part.replace(/\\./g, '')) ? undefined : part.replace(/\\(.)/g, '$1');
  });
  return glob.includes(undefined) ? undefined : glob.join('') || '**';
}

/** The pipeline's `on` for every job's filter: a run starts when any job would. */
export function triggersOf(filters: JobFilter[]): TriggerDefinition {
  const pushes = filters.filter((f) => !f.schedule);
  const schedules = [...new Set(filters.flatMap((f) => (f.schedule ? [f.schedule] : [])))];
  const filtered = pushes.some((f) => f.branches || f.tags);
  if (!filtered && schedules.length === 0) return {};
  const on: TriggerDefinition = {};
  if (schedules.length) on.schedule = schedules[0];
  if (pushes.length === 0) return on;
  const allBranches = pushes.some((f) => !f.branches);
  const branches = [...new Set(pushes.flatMap((f) => f.branches ?? []))];
  const tags = [...new Set(pushes.flatMap((f) => f.tags ?? []))];
  on.push = {
    ...(allBranches ? { branches: ['**'] } : branches.length ? { branches } : {}),
    ...(tags.length ? { tags } : {}),
  };
  if (!on.push.branches && !on.push.tags) on.push = { branches: [] };
  return on;
}

/** Whether a job's filter selects exactly what the pipeline's `on` does, so it needs no condition of its own. */
export function sameAsPipeline(filter: JobFilter, on: TriggerDefinition): boolean {
  if (filter.schedule) return !on.push && on.schedule === filter.schedule;
  if (on.schedule) return false;
  if (!on.push) return !filter.branches && !filter.tags;
  const branches = filter.branches ?? ['**'];
  return same(branches, on.push.branches ?? ['**']) && same(filter.tags ?? [], on.push.tags ?? []);
}

function covers(filter: string[], pipeline: string[]): boolean {
  return filter.includes('**') || same(filter, pipeline);
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/**
 * The step condition that narrows the pipeline's `on` to what one job's filter selects, or
 * undefined when Kiln's conditions (branch AND tag AND event) cannot say it: a job on some
 * branches or some tags.
 */
export function conditionOf(filter: JobFilter, on: TriggerDefinition): StepCondition | undefined {
  const status: StepCondition['status'] = ['success'];
  if (filter.schedule) return { event: ['schedule'], status };
  const event: RunEventName[] | undefined = on.schedule
    ? RUN_EVENTS.filter((e) => e !== 'schedule')
    : undefined;
  const branches = filter.branches ?? ['**'];
  const tags = filter.tags ?? [];
  if (branches.length && tags.length) {
    // Branches AND tags cannot be said in one condition; a filter covering all of the pipeline's needs none.
    if (!covers(branches, on.push?.branches ?? ['**']) || !covers(tags, on.push?.tags ?? []))
      return undefined;
    return { ...(event && { event }), status };
  }
  if (tags.length) return { tag: tags, ...(event && { event }), status };
  return { branch: branches, ...(event && { event }), status };
}
