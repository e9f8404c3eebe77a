import { ArtifactDefinition } from '../definition.model';
import { suggestion } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { readArtifactPath } from '../reader/artifact.reader';
import { readEnvironment } from '../reader/environment.reader';
import { FieldReader, valueOf } from '../reader/field.reader';
import { readImage } from '../reader/step.reader';
import { nameProblem } from '../values/names';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';

/** A CircleCI job reduced to what Kiln runs: one image, its commands, its environment. */
export interface CircleCiJob {
  image: string;
  commands: string[];
  environment: Record<string, string>;
  artifacts: ArtifactDefinition[];
  /** Where each artifact was declared, in the same order, for the duplicate-name check across jobs. */
  artifactSources: Array<{ node: YamlNode; path: string }>;
}

const JOB_KEYS = ['docker', 'steps', 'environment'] as const;

const UNSUPPORTED_JOB_KEYS: Record<string, string> = {
  machine: 'machine executors are not supported; use "docker"',
  macos: 'macOS executors are not supported; use "docker"',
  windows: 'Windows executors are not supported; use "docker"',
  executor: 'reusable executors are not supported; put "docker" in the job',
  resource_class: '"resource_class" is not supported; use a .platform.yaml with "resources"',
  parallelism: '"parallelism" is not supported',
  working_directory:
    '"working_directory" is not supported; every job runs in /workspace, the checked-out repository',
  shell: '"shell" is not supported; commands run with /bin/sh',
  parameters: 'job parameters are not supported',
  circleci_ip_ranges: '"circleci_ip_ranges" is not supported',
};

const UNSUPPORTED_IMAGE_KEYS: Record<string, string> = {
  auth: 'private registry credentials ("auth") are not supported',
  aws_auth: 'private registry credentials ("aws_auth") are not supported',
  name: 'container names are not supported',
  entrypoint: '"entrypoint" is not supported',
  command: '"command" is not supported; put commands in "run" steps',
  user: '"user" is not supported',
};

const UNSUPPORTED_STEPS = [
  'save_cache',
  'restore_cache',
  'persist_to_workspace',
  'attach_workspace',
  'store_test_results',
  'setup_remote_docker',
  'add_ssh_keys',
  'when',
  'unless',
  'deploy',
];
const STEP_TYPES = ['checkout', 'run', 'store_artifacts', ...UNSUPPORTED_STEPS];

const UNSUPPORTED_RUN_KEYS: Record<string, string> = {
  environment: 'per-command "environment" is not supported; set it on the job',
  working_directory: 'per-command "working_directory" is not supported; use "cd" in the command',
  shell: '"shell" is not supported; commands run with /bin/sh',
  background: 'background commands are not supported',
  when: 'conditional commands ("when") are not supported',
  no_output_timeout: '"no_output_timeout" is not supported',
};

export function readCircleCiJob(
  name: string,
  node: YamlNode,
  path: string,
  reader: FieldReader,
): CircleCiJob {
  const job: CircleCiJob = { image: '', commands: [], environment: {}, artifacts: [], artifactSources: [] };
  const mapping = reader.mapping(node, path, 'a mapping with "docker" and "steps"');
  if (!mapping) return job;
  reader.keys(mapping, path, JOB_KEYS, UNSUPPORTED_JOB_KEYS);
  const docker = reader.required(mapping, path, 'docker');
  if (docker) readDocker(docker, childPath(path, 'docker'), reader, job);
  const environment = valueOf(mapping, 'environment');
  if (environment)
    job.environment = {
      ...job.environment,
      ...readEnvironment(environment, childPath(path, 'environment'), reader),
    };
  const steps = reader.required(mapping, path, 'steps');
  if (steps) readSteps(name, steps, childPath(path, 'steps'), reader, job);
  return job;
}

function readDocker(node: YamlNode, path: string, reader: FieldReader, job: CircleCiJob): void {
  if (node.kind !== 'sequence' || node.items.length === 0) {
    reader.problems.error(path, node, 'must list one image, like "- image: node:20"');
    return;
  }
  if (node.items.length > 1) {
    reader.problems.error(
      childPath(path, 1),
      node.items[1],
      'service containers (a second docker image) are not supported',
    );
  }
  const imagePath = childPath(path, 0);
  const image = reader.mapping(node.items[0], imagePath, 'a mapping with "image"');
  if (!image) return;
  reader.keys(image, imagePath, ['image', 'environment'], UNSUPPORTED_IMAGE_KEYS);
  const imageNode = reader.required(image, imagePath, 'image');
  if (imageNode) job.image = readImage(imageNode, childPath(imagePath, 'image'), reader) ?? '';
  const environment = valueOf(image, 'environment');
  if (environment)
    job.environment = readEnvironment(environment, childPath(imagePath, 'environment'), reader);
}

function readSteps(
  jobName: string,
  node: YamlNode,
  path: string,
  reader: FieldReader,
  job: CircleCiJob,
): void {
  if (node.kind !== 'sequence') {
    reader.problems.error(path, node, 'must be a list of steps');
    return;
  }
  node.items.forEach((item, index) => readStep(jobName, item, childPath(path, index), reader, job));
  if (job.commands.length === 0)
    reader.problems.error(path, node, 'has no "run" step; Kiln needs at least one command');
}

function readStep(
  jobName: string,
  node: YamlNode,
  path: string,
  reader: FieldReader,
  job: CircleCiJob,
): void {
  let type: string;
  let value: YamlNode | undefined;
  if (node.kind === 'scalar') {
    type = node.text;
  } else if (node.kind === 'mapping' && node.entries.length === 1) {
    type = node.entries[0].key;
    value = node.entries[0].value;
  } else {
    reader.problems.error(path, node, 'must be one step, like "checkout" or "run: npm test"');
    return;
  }
  const typePath = childPath(path, type);
  if (type === 'checkout') {
    // The workspace is cloned once per run before any step starts, so checkout has nothing to do.
    if (value && !isNullNode(value))
      reader.problems.error(typePath, value, 'checkout options are not supported');
  } else if ((type === 'run' || type === 'store_artifacts') && !value) {
    reader.problems.error(typePath, node, `"${type}" needs ${type === 'run' ? 'a command' : 'a "path"'}`);
  } else if (type === 'run') {
    readRun(value as YamlNode, typePath, reader, job);
  } else if (type === 'store_artifacts') {
    readStoreArtifacts(jobName, value as YamlNode, typePath, reader, job);
  } else if (UNSUPPORTED_STEPS.includes(type)) {
    reader.problems.error(typePath, node, `"${type}" steps are not supported`);
  } else {
    reader.problems.error(typePath, node, `unknown step type "${type}"${suggestion(type, STEP_TYPES)}`);
  }
}

function readRun(node: YamlNode, path: string, reader: FieldReader, job: CircleCiJob): void {
  let commandNode: YamlNode | undefined = node;
  let commandPath = path;
  if (node.kind === 'mapping') {
    reader.keys(node, path, ['command', 'name'], UNSUPPORTED_RUN_KEYS);
    commandNode = reader.required(node, path, 'command');
    commandPath = childPath(path, 'command');
    const name = valueOf(node, 'name');
    if (name) reader.string(name, childPath(path, 'name'));
  }
  const command = commandNode && reader.string(commandNode, commandPath);
  if (command === undefined) return;
  if (command.includes('${{'))
    reader.problems.error(
      commandPath,
      commandNode as YamlNode,
      '"${{ }}" expressions are only resolved in "environment"',
    );
  job.commands.push(command);
}

function readStoreArtifacts(
  jobName: string,
  node: YamlNode,
  path: string,
  reader: FieldReader,
  job: CircleCiJob,
): void {
  const mapping = reader.mapping(node, path, 'a mapping with "path"');
  if (!mapping) return;
  reader.keys(mapping, path, ['path', 'destination']);
  const pathNode = reader.required(mapping, path, 'path');
  const artifactPath = pathNode && readArtifactPath(pathNode, childPath(path, 'path'), reader);
  const destination = valueOf(mapping, 'destination');
  const destinationName = destination && reader.string(destination, childPath(path, 'destination'));
  const name = destinationName ?? artifactName(jobName, artifactPath ?? '');
  if (destination && destinationName !== undefined) {
    const problem = nameProblem(destinationName, 'artifact');
    if (problem) reader.problems.error(childPath(path, 'destination'), destination, problem);
  }
  if (!artifactPath) return;
  job.artifacts.push({ name, path: artifactPath });
  job.artifactSources.push({
    node: destination ?? node,
    path: destination ? childPath(path, 'destination') : path,
  });
}

/** `store_artifacts` without a destination is named after the job and the last path segment. */
function artifactName(jobName: string, path: string): string {
  const last = path.replace(/\/$/, '').split('/').pop() ?? '';
  const cleaned = `${jobName}-${last}`
    .toLowerCase()
    .replace(/[^-a-z0-9_.]+/g, '-')
    .replace(/[^a-z0-9]+$/, '');
  return cleaned.slice(0, 63).replace(/[^a-z0-9]+$/, '');
}

export function isCircleCiRoot(root: YamlMapping): boolean {
  return root.entries.some((e) => e.key === 'version') && root.entries.some((e) => e.key === 'jobs');
}
