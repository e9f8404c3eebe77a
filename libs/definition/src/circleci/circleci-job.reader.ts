import { StepCache, StepResources, StepService } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { FieldReader, valueOf } from '../reader/field.reader';
import { scalarType, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { CircleCiDefinitions, Reusable } from './circleci-definitions';
import { EXECUTOR_KEYS, resolveEnvironment } from './circleci-executors';
import { JobArtifact, JobPlan, StepContext } from './circleci-job-plan';
import { bindParameters, substitute } from './circleci-parameters';
import { DEFAULT_WORKING_DIRECTORY } from './circleci-paths';
import { jobNoOutputTimeout } from './circleci-run';
import { jobScript } from './circleci-script';
import { expandSteps } from './circleci-steps';

/** A CircleCI job reduced to what Kiln runs: one image, its commands, its environment. */
export interface CircleCiJob {
  image: string;
  commands: string[];
  environment: Record<string, string>;
  resources?: StepResources;
  noOutputTimeoutMs?: number;
  services: StepService[];
  caches: StepCache[];
  artifacts: JobArtifact[];
}

/** One use of a job in a workflow: the Kiln step it becomes and what the workflow passes to it. */
export interface JobInstance {
  stepName: string;
  job: Reusable;
  /** The workflow entry's mapping (parameters, `pre-steps`, ...), if any. */
  args?: YamlMapping;
  at: YamlNode;
  path: string;
}

const JOB_KEYS = [...EXECUTOR_KEYS, 'executor', 'steps', 'parallelism', 'circleci_ip_ranges'];

/** Keys of a workflow's job entry that are not job parameters. */
export const WORKFLOW_JOB_KEYS = [
  'requires',
  'name',
  'context',
  'filters',
  'matrix',
  'type',
  'pre-steps',
  'post-steps',
  'serial-group',
  'override-with',
];

/** Reads one job as used in a workflow; undefined when it comes from an orb Kiln does not expand. */
export function readCircleCiJob(
  instance: JobInstance,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
): CircleCiJob | undefined {
  const { job, args, at, path } = instance;
  const parameters = bindParameters(job.declarations, args, at, path, reader, WORKFLOW_JOB_KEYS);
  const scope = { parameters, pipeline: definitions.pipeline };
  const body = substitute(job.body, scope, job.path, reader) as YamlMapping;
  if (!job.shipped) reader.keys(body, job.path, JOB_KEYS);
  const environment = resolveEnvironment(body, job.path, definitions, reader, definitions.pipeline);
  if (environment.unknownOrb) return undefined;
  readParallelism(body, job.path, reader);
  const plan: JobPlan = {
    name: instance.stepName,
    workingDirectory: environment.workingDirectory ?? DEFAULT_WORKING_DIRECTORY,
    shell: environment.shell,
    commands: [],
    artifacts: [],
    caches: [],
    restoreKeys: [],
    usesDefaultShell: false,
    noOutputTimeouts: [],
  };
  const ctx: StepContext = { plan, definitions, reader, pipeline: definitions.pipeline, stack: [] };
  const pre = args && valueOf(args, 'pre-steps');
  if (pre)
    expandSteps(
      substitute(pre, scope, childPath(path, 'pre-steps'), reader),
      childPath(path, 'pre-steps'),
      ctx,
    );
  const steps = reader.required(body, job.path, 'steps');
  if (steps) expandSteps(steps, childPath(job.path, 'steps'), ctx);
  const post = args && valueOf(args, 'post-steps');
  if (post)
    expandSteps(
      substitute(post, scope, childPath(path, 'post-steps'), reader),
      childPath(path, 'post-steps'),
      ctx,
    );
  if (steps && plan.commands.length === 0 && !reader.problems.hasErrors) {
    reader.problems.error(
      childPath(job.path, 'steps'),
      steps,
      'has no "run" step; Kiln needs at least one command',
    );
  }
  const noOutputTimeoutMs = jobNoOutputTimeout(plan.noOutputTimeouts);
  return {
    image: environment.image,
    commands: jobScript(plan),
    environment: environment.environment,
    ...(environment.resources && { resources: environment.resources }),
    ...(noOutputTimeoutMs && { noOutputTimeoutMs }),
    services: environment.services,
    caches: plan.caches,
    artifacts: plan.artifacts,
  };
}

/** Test splitting over parallel containers has no Kiln equivalent; `parallelism: 1` is harmless. */
function readParallelism(body: YamlMapping, path: string, reader: FieldReader): void {
  const node = valueOf(body, 'parallelism');
  if (!node || (node.kind === 'scalar' && scalarType(node) === 'number' && Number(node.text) <= 1)) return;
  reader.problems.error(
    childPath(path, 'parallelism'),
    node,
    '"parallelism" (test splitting over parallel containers) has no Kiln equivalent; use a "matrix" of jobs, each running its share',
  );
}

export function isCircleCiRoot(root: YamlMapping): boolean {
  return root.entries.some((e) => e.key === 'version') && root.entries.some((e) => e.key === 'jobs');
}
