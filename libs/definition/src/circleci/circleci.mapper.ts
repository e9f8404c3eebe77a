import { ArtifactDefinition, StepDefinition } from '../definition.model';
import { DEFINITION_LIMITS } from '../limits';
import { suggestion } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { ReadDefinition } from '../reader/platform.reader';
import { StepDraft } from '../reader/step-draft';
import { nameProblem } from '../values/names';
import { isNullNode, YamlMapping, YamlNode, YamlScalar } from '../yaml/yaml-node';
import { CircleCiJob, readCircleCiJob } from './circleci-job.reader';

const UNSUPPORTED_ROOT_KEYS: Record<string, string> = {
  orbs: 'orbs are not supported',
  commands: 'reusable commands are not supported',
  executors: 'reusable executors are not supported; put "docker" in each job',
  parameters: 'pipeline parameters are not supported',
  setup: 'setup workflows are not supported',
  pipeline: 'a file with "version" and "jobs" is read as CircleCI; move "pipeline" to its own .platform.yaml',
};

const UNSUPPORTED_WORKFLOW_KEYS: Record<string, string> = {
  triggers: 'workflow triggers are not supported; use a .platform.yaml with "on: { schedule: ... }"',
  when: 'conditional workflows are not supported',
  unless: 'conditional workflows are not supported',
};

const UNSUPPORTED_WORKFLOW_JOB_KEYS: Record<string, string> = {
  filters: 'per-job branch filters are not supported; use a .platform.yaml with "on"',
  context: 'contexts are not supported; use project secrets and ${{ secrets.NAME }}',
  name: 'renaming a job in a workflow is not supported',
  type: 'approval jobs are not supported',
  matrix: 'matrix jobs are not supported',
};

interface JobSpec {
  name: string;
  keyNode: YamlScalar;
  job: CircleCiJob;
}

/**
 * Maps a CircleCI-style file (seed 004's `.popsicle/ci.yml`) onto the pipeline model: each job of
 * the workflow becomes a step (first docker image, `run` commands in order), `requires` becomes
 * `depends_on`. Without a workflow every job runs, in parallel. Anything else is an error.
 */
export function readCircleCiDefinition(root: YamlMapping, reader: FieldReader): ReadDefinition {
  reader.keys(root, '', ['version', 'jobs', 'workflows', 'references', 'aliases'], UNSUPPORTED_ROOT_KEYS);
  const version = reader.required(root, '', 'version');
  if (version) readVersion(version, reader);
  const jobsNode = reader.required(root, '', 'jobs');
  const jobs = jobsNode ? readJobs(jobsNode, reader) : [];
  const workflows = valueOf(root, 'workflows');
  const drafts = workflows
    ? readWorkflows(workflows, jobs, reader)
    : jobs.map((spec) => draftFor(spec, spec.keyNode, childPath('jobs', spec.name)));
  const artifacts: ArtifactDefinition[] = [];
  const used = new Set(drafts.map((draft) => draft.step.name));
  for (const spec of jobs) {
    if (used.has(spec.name)) artifacts.push(...collectArtifacts(spec.job, artifacts, reader));
    else if (workflows) {
      reader.problems.warn(
        childPath('jobs', spec.name),
        spec.keyNode,
        'is not in the workflow, so it never runs',
      );
    }
  }
  const steps = drafts.map((draft) => draft.step);
  return { definition: { steps, artifacts, on: {}, failFast: false }, drafts };
}

/** A job's artifacts, reporting names that an earlier job already used. */
function collectArtifacts(
  job: CircleCiJob,
  earlier: ArtifactDefinition[],
  reader: FieldReader,
): ArtifactDefinition[] {
  const taken = new Set(earlier.map((artifact) => artifact.name));
  return job.artifacts.filter((artifact, i) => {
    const { node, path } = job.artifactSources[i];
    if (!taken.has(artifact.name)) {
      taken.add(artifact.name);
      return true;
    }
    reader.problems.error(
      path,
      node,
      `duplicate artifact name "${artifact.name}"; give each "store_artifacts" its own "destination"`,
    );
    return false;
  });
}

function readVersion(node: YamlNode, reader: FieldReader): void {
  const version = reader.string(node, 'version');
  if (version !== undefined && !['2', '2.0', '2.1'].includes(version)) {
    reader.problems.error('version', node, `CircleCI version "${version}" is not supported; use 2 or 2.1`);
  }
}

function readJobs(node: YamlNode, reader: FieldReader): JobSpec[] {
  const mapping = reader.mapping(node, 'jobs', 'a mapping of job names to jobs');
  if (!mapping) return [];
  if (mapping.entries.length === 0) reader.problems.error('jobs', node, 'must define at least one job');
  const { maxSteps } = DEFINITION_LIMITS;
  if (mapping.entries.length > maxSteps) {
    reader.problems.error(
      'jobs',
      mapping.entries[maxSteps].keyNode,
      `has ${mapping.entries.length} jobs; at most ${maxSteps} are allowed`,
    );
  }
  return mapping.entries.slice(0, maxSteps).map(({ key, keyNode, value }) => {
    const problem = nameProblem(key, 'job');
    if (problem) reader.problems.error(childPath('jobs', key), keyNode, problem);
    return { name: key, keyNode, job: readCircleCiJob(key, value, childPath('jobs', key), reader) };
  });
}

function readWorkflows(node: YamlNode, jobs: JobSpec[], reader: FieldReader): StepDraft[] {
  const mapping = reader.mapping(node, 'workflows', 'a mapping of workflow names to workflows');
  if (!mapping) return [];
  const workflows = mapping.entries.filter((entry) => entry.key !== 'version');
  if (workflows.length === 0) {
    reader.problems.error('workflows', node, 'must define one workflow');
    return [];
  }
  workflows.slice(1).forEach(({ key, keyNode }) => {
    reader.problems.error(
      childPath('workflows', key),
      keyNode,
      'only one workflow is supported; Kiln runs one pipeline per file',
    );
  });
  const { key, value } = workflows[0];
  const path = childPath('workflows', key);
  const workflow = reader.mapping(value, path, 'a mapping with "jobs"');
  if (!workflow) return [];
  reader.keys(workflow, path, ['jobs'], UNSUPPORTED_WORKFLOW_KEYS);
  const list = reader.required(workflow, path, 'jobs');
  if (!list) return [];
  const listPath = childPath(path, 'jobs');
  if (list.kind !== 'sequence' || list.items.length === 0) {
    reader.problems.error(listPath, list, 'must list at least one job');
    return [];
  }
  const byName = new Map(jobs.map((spec) => [spec.name, spec]));
  return list.items.flatMap((item, index) =>
    readWorkflowJob(item, childPath(listPath, index), byName, reader),
  );
}

function readWorkflowJob(
  node: YamlNode,
  path: string,
  jobs: Map<string, JobSpec>,
  reader: FieldReader,
): StepDraft[] {
  let name: string;
  let options: YamlNode | undefined;
  if (node.kind === 'scalar' && !isNullNode(node)) {
    name = node.text;
  } else if (node.kind === 'mapping' && node.entries.length === 1) {
    name = node.entries[0].key;
    options = node.entries[0].value;
  } else {
    reader.problems.error(path, node, 'must be a job name, or a job name with "requires"');
    return [];
  }
  const spec = jobs.get(name);
  if (!spec) {
    reader.problems.error(path, node, `unknown job "${name}"${suggestion(name, jobs.keys())}`);
    return [];
  }
  const draft = draftFor(spec, node, path);
  draft.dependsOnPath = childPath(childPath(path, name), 'requires');
  if (options && !isNullNode(options)) {
    const mapping = reader.mapping(options, childPath(path, name), 'a mapping with "requires"');
    if (mapping) {
      reader.keys(mapping, childPath(path, name), ['requires'], UNSUPPORTED_WORKFLOW_JOB_KEYS);
      const requires = valueOf(mapping, 'requires');
      const items = requires ? (reader.stringList(requires, draft.dependsOnPath) ?? []) : [];
      draft.dependencies = items.map((item) => ({ name: item.value, node: item.node }));
      draft.step.dependsOn = [...new Set(items.map((item) => item.value))];
    }
  }
  return [draft];
}

function draftFor(spec: JobSpec, nameNode: YamlNode, path: string): StepDraft {
  const { image, commands, environment } = spec.job;
  const step: StepDefinition = {
    name: spec.name,
    image,
    commands,
    environment,
    dependsOn: [],
    deploy: false,
  };
  return {
    step,
    node: nameNode,
    nameNode,
    path,
    dependencies: [],
    dependsOnPath: childPath(path, 'requires'),
  };
}
