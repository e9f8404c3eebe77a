import { ArtifactDefinition, StepDefinition } from '../definition.model';
import { DEFINITION_LIMITS } from '../limits';
import { didYouMean } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { ReadDefinition } from '../reader/platform.reader';
import { StepDraft } from '../reader/step-draft';
import { YamlMapping, YamlNode } from '../yaml/yaml-node';
import {
  CircleCiDefinitions,
  emptyDefinitions,
  readPipelineParameters,
  readReusables,
} from './circleci-definitions';
import { conditionOf, sameAsPipeline, triggersOf } from './circleci-filters';
import { CircleCiJob, readCircleCiJob } from './circleci-job.reader';
import { JobArtifact } from './circleci-job-plan';
import { stepNames } from './circleci-names';
import { readOrbs } from './circleci-orbs';
import { ResourceClassTable } from './circleci-resource-classes';
import { WorkflowJob, readWorkflows } from './circleci-workflows';

/** A `type: approval` job: no image or commands, it waits for a person with write access. */
const APPROVAL: CircleCiJob = {
  image: '',
  commands: [],
  environment: {},
  services: [],
  caches: [],
  artifacts: [],
};

const ROOT_KEYS = ['version', 'jobs', 'workflows', 'orbs', 'commands', 'executors', 'parameters'];

const NO_EQUIVALENT_ROOT_KEYS: Record<string, string> = {
  setup:
    'setup workflows (dynamic configuration) have no Kiln equivalent; commit the generated configuration instead',
  pipeline: 'a file with "version" and "jobs" is read as CircleCI; move "pipeline" to its own .platform.yaml',
};

/**
 * Maps a CircleCI file onto one pipeline: reusable commands, executors, parameters and orbs are
 * expanded at import, every workflow's jobs become steps (named `<workflow>.<job>` when the file
 * has more than one workflow, since a repository's file is one pipeline), `requires` becomes
 * `depends_on`, filters and schedules become `on`. Without workflows every job runs in parallel.
 */
export function readCircleCiDefinition(
  root: YamlMapping,
  reader: FieldReader,
  resourceClasses?: ResourceClassTable,
): ReadDefinition {
  readRootKeys(root, reader);
  const version = reader.required(root, '', 'version');
  if (version) readVersion(version, reader);
  const definitions = readDefinitions(root, reader, resourceClasses);
  const workflows = valueOf(root, 'workflows');
  // An inline orb may hold every job, so `jobs` is only required without workflows.
  const jobsNode = workflows ? valueOf(root, 'jobs') : reader.required(root, '', 'jobs');
  const entries = workflows ? readWorkflows(workflows, definitions, reader) : everyJob(definitions);
  const names = stepNames(entries, reader);
  const drafts: StepDraft[] = [];
  const entryOf = new Map<StepDraft, WorkflowJob>();
  const artifacts: JobArtifact[] = [];
  entries.slice(0, DEFINITION_LIMITS.maxSteps).forEach((entry, i) => {
    const job = entry.job
      ? readCircleCiJob({ ...entry, job: entry.job, stepName: names[i] }, definitions, reader)
      : APPROVAL;
    if (!job) return;
    const step: StepDefinition = {
      name: names[i],
      image: job.image,
      commands: job.commands,
      environment: job.environment,
      dependsOn: [],
      deploy: false,
      ...(job.resources && { resources: job.resources }),
      ...(job.noOutputTimeoutMs && { noOutputTimeoutMs: job.noOutputTimeoutMs }),
      ...(job.services.length && { services: job.services }),
      ...(job.caches.length && { cache: job.caches }),
      ...(!entry.job && { approval: true }),
    };
    const dependencies = resolveRequires(entry, entries, names);
    step.dependsOn = [...new Set(dependencies.map((d) => d.name))];
    const draft = {
      step,
      node: entry.at,
      nameNode: entry.at,
      path: entry.path,
      dependencies,
      dependsOnPath: entry.requiresPath,
    };
    drafts.push(draft);
    entryOf.set(draft, entry);
    artifacts.push(...job.artifacts);
  });
  if (entries.length > DEFINITION_LIMITS.maxSteps) {
    reader.problems.error(
      'workflows',
      workflows ?? root,
      `makes ${entries.length} jobs; at most ${DEFINITION_LIMITS.maxSteps} are allowed`,
    );
  }
  if (jobsNode && workflows) warnUnused(definitions, entries, reader);
  if (workflows && entries.length === 0 && !reader.problems.hasErrors) {
    reader.problems.error(
      'workflows',
      workflows,
      everyWorkflowEmpty(workflows)
        ? 'no workflow lists a job, so this file runs nothing; a pipeline without steps has no Kiln equivalent (a Kiln pipeline runs at least one step)'
        : "no workflow runs with the pipeline parameters' defaults; workflows started only with API parameters have no Kiln equivalent",
    );
  }
  const on = triggersOf(entries.map((entry) => entry.filter));
  drafts.forEach((draft) => {
    const entry = entryOf.get(draft) as WorkflowJob;
    if (sameAsPipeline(entry.filter, on)) return;
    const when = conditionOf(entry.filter, on);
    if (when) draft.step.when = when;
    else {
      reader.problems.error(
        childPath(entry.path, 'filters'),
        entry.at,
        `runs on some branches or some tags; Kiln step conditions ("when") hold for a branch AND a tag, so "${draft.step.name}" cannot be mapped; split it into a branch job and a tag job`,
      );
    }
  });
  dedupeProblems(reader);
  const steps = drafts.map((draft) => draft.step);
  return { definition: { steps, artifacts: uniqueArtifacts(artifacts), on, failFast: false }, drafts };
}

function readRootKeys(root: YamlMapping, reader: FieldReader): void {
  for (const { key, keyNode } of root.entries) {
    if (ROOT_KEYS.includes(key)) continue;
    if (Object.hasOwn(NO_EQUIVALENT_ROOT_KEYS, key)) {
      reader.problems.error(key, keyNode, NO_EQUIVALENT_ROOT_KEYS[key]);
      continue;
    }
    // Any other top-level key holds YAML anchors (`defaults: &defaults`) and is ignored, unless it is a misspelling.
    const match = didYouMean(key, ROOT_KEYS);
    if (match) reader.problems.error(key, keyNode, `unknown key "${key}" (did you mean "${match}"?)`);
  }
}

function readVersion(node: YamlNode, reader: FieldReader): void {
  const version = reader.string(node, 'version');
  if (version !== undefined && !['2', '2.0', '2.1'].includes(version)) {
    reader.problems.error('version', node, `CircleCI version "${version}" is not supported; use 2 or 2.1`);
  }
}

function readDefinitions(
  root: YamlMapping,
  reader: FieldReader,
  resourceClasses?: ResourceClassTable,
): CircleCiDefinitions {
  const definitions = emptyDefinitions(resourceClasses);
  definitions.pipeline = readPipelineParameters(valueOf(root, 'parameters'), reader);
  readOrbs(valueOf(root, 'orbs'), definitions, reader);
  readReusables(valueOf(root, 'commands'), 'commands', reader, definitions.commands);
  for (const command of definitions.commands.values()) {
    if (!command.shipped && !command.name.includes('/'))
      reader.keys(command.body, command.path, ['description', 'parameters', 'steps']);
  }
  readReusables(valueOf(root, 'executors'), 'executors', reader, definitions.executors);
  const jobs = valueOf(root, 'jobs');
  if (jobs?.kind === 'mapping' && jobs.entries.length === 0)
    reader.problems.error('jobs', jobs, 'must define at least one job');
  readReusables(jobs, 'jobs', reader, definitions.jobs);
  return definitions;
}

/** Whether every workflow is `jobs: []` (a switched-off CircleCI project), rather than skipped by `when`. */
function everyWorkflowEmpty(workflows: YamlNode): boolean {
  if (workflows.kind !== 'mapping') return false;
  return workflows.entries
    .filter((entry) => entry.key !== 'version')
    .every(({ value }) => {
      const jobs = value.kind === 'mapping' ? valueOf(value, 'jobs') : undefined;
      return jobs?.kind === 'sequence' && jobs.items.length === 0;
    });
}

/** A file without workflows runs each of its own jobs once, in parallel. */
function everyJob(definitions: CircleCiDefinitions): WorkflowJob[] {
  return [...definitions.jobs.values()]
    .filter((job) => !job.name.includes('/'))
    .map((job) => ({
      workflow: '',
      name: job.name,
      aliases: [],
      job,
      at: job.body,
      path: job.path,
      requires: [],
      requiresPath: childPath(job.path, 'requires'),
      filter: {},
    }));
}

/** `requires` names jobs of the same workflow, by name or matrix alias; they become step names. */
function resolveRequires(entry: WorkflowJob, entries: WorkflowJob[], names: string[]) {
  return entry.requires.flatMap(({ name, node }) => {
    const targets = entries.flatMap((other, i) =>
      other.workflow === entry.workflow && (other.name === name || other.aliases.includes(name))
        ? [names[i]]
        : [],
    );
    return targets.length ? targets.map((target) => ({ name: target, node })) : [{ name, node }];
  });
}

function warnUnused(definitions: CircleCiDefinitions, entries: WorkflowJob[], reader: FieldReader): void {
  const used = new Set(entries.map((entry) => entry.job?.name));
  for (const job of definitions.jobs.values()) {
    if (used.has(job.name) || job.name.includes('/')) continue;
    reader.problems.warn(job.path, job.body, 'is in no workflow, so it never runs');
  }
}

/** CircleCI merges uploads to one destination; Kiln keeps each under its own name (`-2`, `-3`, ...). */
function uniqueArtifacts(artifacts: JobArtifact[]): ArtifactDefinition[] {
  const taken = new Set<string>();
  return artifacts.map(({ name, path, report }) => {
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name.slice(0, 60)}-${n}`;
    taken.add(unique);
    return { name: unique, path, ...(report && { report }) };
  });
}

/**
 * A job used by several workflows or matrix combinations is read once per use; the same problem
 * in its body is reported once.
 */
function dedupeProblems(reader: FieldReader): void {
  for (const list of [reader.problems.errors, reader.problems.warnings]) {
    const seen = new Set<string>();
    const unique = list.filter((p) => {
      const key = `${p.line}:${p.column}:${p.message.slice(p.path.length)}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    list.splice(0, list.length, ...unique);
  }
}
