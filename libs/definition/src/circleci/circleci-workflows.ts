import { childPath } from '../problems/problem-collector';
import { suggestion } from '../problems/did-you-mean';
import { FieldReader, valueOf } from '../reader/field.reader';
import { cronProblem, cronWarning } from '../triggers/cron-schedule';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { evaluateCondition } from './circleci-conditions';
import { CircleCiDefinitions, Reusable } from './circleci-definitions';
import { JobFilter, readFilters } from './circleci-filters';
import {
  argumentsWith,
  matrixJobName,
  MatrixCombination,
  readMatrix,
  withMatrixValues,
} from './circleci-matrix';
import { substitute } from './circleci-parameters';

/** One job of one workflow, before it is read: what it is called there and what it needs. */
export interface WorkflowJob {
  workflow: string;
  /** The name the workflow gives it (a `name:` rename or a matrix name), unique in the workflow. */
  name: string;
  /** Names that `requires` may use for it: its name and its matrix alias. */
  aliases: string[];
  /** Unset for an approval job, which waits for a person instead of running a job. */
  job?: Reusable;
  args?: YamlMapping;
  at: YamlNode;
  path: string;
  requires: Array<{ name: string; node: YamlNode }>;
  requiresPath: string;
  filter: JobFilter;
}

/** Reads every workflow whose `when`/`unless` holds with the pipeline parameters' defaults. */
export function readWorkflows(
  node: YamlNode,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
): WorkflowJob[] {
  const mapping = reader.mapping(node, 'workflows', 'a mapping of workflow names to workflows');
  if (!mapping) return [];
  const workflows = mapping.entries.filter((entry) => entry.key !== 'version');
  if (workflows.length === 0) reader.problems.error('workflows', node, 'must define a workflow');
  return workflows.flatMap(({ key, value }) =>
    readWorkflow(key, value, childPath('workflows', key), definitions, reader),
  );
}

function readWorkflow(
  name: string,
  node: YamlNode,
  path: string,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
): WorkflowJob[] {
  const workflow = reader.mapping(node, path, 'a mapping with "jobs"');
  if (!workflow) return [];
  reader.keys(workflow, path, ['jobs', 'triggers', 'when', 'unless', 'max_auto_reruns']);
  const scope = { parameters: new Map(), pipeline: definitions.pipeline };
  for (const key of ['when', 'unless'] as const) {
    const condition = valueOf(workflow, key);
    if (!condition) continue;
    const result = evaluateCondition(
      substitute(condition, scope, childPath(path, key), reader),
      childPath(path, key),
      reader,
    );
    if (result === undefined) return [];
    if (result !== (key === 'when')) return [];
  }
  const schedule = readSchedule(valueOf(workflow, 'triggers'), childPath(path, 'triggers'), reader);
  const list = reader.required(workflow, path, 'jobs');
  if (!list) return [];
  const listPath = childPath(path, 'jobs');
  if (list.kind !== 'sequence') {
    reader.problems.error(listPath, list, 'must be a list of jobs');
    return [];
  }
  // CircleCI accepts `jobs: []`; projects switch a workflow off that way.
  if (list.items.length === 0)
    reader.problems.warn(listPath, list, 'lists no job, so this workflow runs nothing');
  return list.items.flatMap((item, index) =>
    readEntry(item, childPath(listPath, index), name, schedule, definitions, reader),
  );
}

function readEntry(
  node: YamlNode,
  path: string,
  workflow: string,
  schedule: string | undefined,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
): WorkflowJob[] {
  let jobName: string;
  let options: YamlMapping | undefined;
  if (node.kind === 'scalar' && !isNullNode(node)) jobName = node.text;
  else if (node.kind === 'mapping' && node.entries.length === 1) {
    jobName = node.entries[0].key;
    const value = node.entries[0].value;
    if (!isNullNode(value))
      options = reader.mapping(value, childPath(path, jobName), 'a mapping with "requires"');
  } else {
    reader.problems.error(path, node, 'must be a job name, or a job name with "requires"');
    return [];
  }
  const entryPath = childPath(path, jobName);
  const orb = jobName.includes('/') ? jobName.split('/')[0] : undefined;
  if (orb && definitions.unknownOrbs.has(orb)) return [];
  const kind = options ? readOptions(options, entryPath, reader) : 'job';
  if (kind === undefined) return [];
  const job = kind === 'job' ? definitions.jobs.get(jobName) : undefined;
  if (kind === 'job' && !job) {
    reader.problems.error(
      path,
      node,
      `unknown job "${jobName}"${suggestion(jobName, definitions.jobs.keys())}`,
    );
    return [];
  }
  const filter: JobFilter = schedule
    ? { schedule }
    : readFilters(options && valueOf(options, 'filters'), childPath(entryPath, 'filters'), reader);
  const rename = options && valueOf(options, 'name');
  const baseName = (rename && reader.string(rename, childPath(entryPath, 'name'))) ?? jobName;
  const matrixNode = options && valueOf(options, 'matrix');
  const matrix = matrixNode ? readMatrix(matrixNode, childPath(entryPath, 'matrix'), reader) : undefined;
  const combinations: Array<MatrixCombination | undefined> = matrix ? matrix.combinations : [undefined];
  return combinations.map((combination) => ({
    workflow,
    name: combination
      ? rename
        ? withMatrixValues(baseName, combination)
        : matrixJobName(baseName, combination)
      : baseName,
    aliases: combination ? [matrix?.alias ?? jobName] : [],
    job,
    args: combination ? argumentsWith(options, combination, node) : options,
    at: node,
    path: entryPath,
    requires: readRequires(options, entryPath, reader, combination),
    requiresPath: childPath(entryPath, 'requires'),
    filter,
  }));
}

/** What the entry is: a job, an approval (`type: approval`), or undefined for an unknown type. */
function readOptions(
  options: YamlMapping,
  path: string,
  reader: FieldReader,
): 'job' | 'approval' | undefined {
  const context = options.entries.find((e) => e.key === 'context');
  if (context) {
    reader.problems.error(
      childPath(path, 'context'),
      context.keyNode,
      'contexts have no Kiln equivalent; add their variables as project secrets and name them in "environment" as ${{ secrets.NAME }}',
    );
  }
  const type = valueOf(options, 'type');
  if (!type) return 'job';
  const text = reader.string(type, childPath(path, 'type'));
  if (text === 'approval') return 'approval';
  reader.problems.error(childPath(path, 'type'), type, `unknown job type "${text}"; use "approval"`);
  return undefined;
}

function readRequires(
  options: YamlMapping | undefined,
  path: string,
  reader: FieldReader,
  combination: MatrixCombination | undefined,
) {
  const requires = options && valueOf(options, 'requires');
  if (!requires) return [];
  const items = reader.stringList(requires, childPath(path, 'requires')) ?? [];
  return items.map((item) => ({
    name: combination ? withMatrixValues(item.value, combination) : item.value,
    node: item.node,
  }));
}

/** `triggers: [{ schedule: { cron } }]`: the workflow runs only on that schedule. */
function readSchedule(node: YamlNode | undefined, path: string, reader: FieldReader): string | undefined {
  if (!node) return undefined;
  if (node.kind !== 'sequence' || node.items.length === 0) {
    reader.problems.error(path, node, 'must list one schedule');
    return undefined;
  }
  if (node.items.length > 1)
    reader.problems.error(
      childPath(path, 1),
      node.items[1],
      'more than one schedule per workflow has no Kiln equivalent; Kiln runs one schedule per pipeline',
    );
  const itemPath = childPath(childPath(path, 0), 'schedule');
  const trigger = reader.mapping(node.items[0], childPath(path, 0), 'a mapping with "schedule"');
  const schedule = trigger && reader.required(trigger, childPath(path, 0), 'schedule');
  const mapping = schedule && reader.mapping(schedule, itemPath, 'a mapping with "cron"');
  if (!mapping) return undefined;
  reader.keys(mapping, itemPath, ['cron', 'filters']);
  const cronNode = reader.required(mapping, itemPath, 'cron');
  const cron = cronNode && reader.string(cronNode, childPath(itemPath, 'cron'));
  const problem = cron === undefined ? undefined : cronProblem(cron);
  if (problem) reader.problems.error(childPath(itemPath, 'cron'), cronNode as YamlNode, problem);
  const warning = cron === undefined ? undefined : cronWarning(cron);
  if (warning) reader.problems.warn(childPath(itemPath, 'cron'), cronNode as YamlNode, warning);
  const filters = valueOf(mapping, 'filters');
  if (filters)
    reader.problems.warn(
      childPath(itemPath, 'filters'),
      filters,
      'Kiln runs schedules on the default branch; these filters are not used',
    );
  return problem ? undefined : cron?.trim();
}
