import { StepDefinition } from '../definition.model';
import { hasExpression } from '../env/expressions';
import { childPath } from '../problems/problem-collector';
import { durationProblem, parseDuration } from '../values/duration';
import { nameProblem } from '../values/names';
import { cpuProblem, memoryProblem } from '../values/quantity';
import { entryOf, scalarBoolean, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { readBuild } from './build.reader';
import { readEnvironment } from './environment.reader';
import { readMatrix } from './matrix.reader';
import { readNodeSelector, readTolerations } from './placement.reader';
import { readCache, readRetry, readServices, readWhen } from './step-options.reader';
import { FieldReader, StringItem, valueOf } from './field.reader';
import { StepDraft } from './step-draft';

const STEP_KEYS = [
  'name',
  'image',
  'commands',
  'environment',
  'depends_on',
  'timeout',
  'no_output_timeout',
  'resources',
  'user',
  'node_selector',
  'tolerations',
  'build',
  'deploy',
  'approval',
  'matrix',
  'when',
  'retry',
  'cache',
  'services',
] as const;

const UNSUPPORTED_STEP_KEYS: Record<string, string> = {
  script: '"script" is spelt "commands" in Kiln',
  run: '"run" is spelt "commands" in Kiln (a list of shell commands)',
  env: '"env" is spelt "environment" in Kiln',
  needs: '"needs" is spelt "depends_on" in Kiln',
};

/** Numeric only: a name would be looked up in the image's /etc/passwd, which differs per image. */
const USER = /^[0-9]{1,10}(:[0-9]{1,10})?$/;

const UNSUPPORTED_RESOURCE_KEYS: Record<string, string> = {
  gpu: 'GPU requests are not supported',
  requests: 'give "cpu" and "memory" directly; Kiln uses them as both request and limit',
  limits: 'give "cpu" and "memory" directly; Kiln uses them as both request and limit',
};

/** Reads one entry of `steps`; problems go to the reader's collector, the draft is always returned. */
export function readStep(node: YamlNode, path: string, reader: FieldReader): StepDraft {
  const step: StepDefinition = {
    name: '',
    image: '',
    commands: [],
    environment: {},
    dependsOn: [],
    deploy: false,
  };
  const draft: StepDraft = {
    step,
    node,
    nameNode: node,
    path,
    dependencies: [],
    dependsOnPath: childPath(path, 'depends_on'),
  };
  const mapping = reader.mapping(node, path, 'a mapping with "name", "image" and "commands"');
  if (!mapping) return draft;
  reader.keys(mapping, path, STEP_KEYS, UNSUPPORTED_STEP_KEYS);

  const nameNode = reader.required(mapping, path, 'name');
  if (nameNode) {
    draft.nameNode = nameNode;
    step.name = readName(nameNode, childPath(path, 'name'), reader) ?? '';
  }
  const build = valueOf(mapping, 'build');
  if (isApproval(mapping)) readApprovalStep(mapping, path, reader, step);
  else if (build) readBuildStep(mapping, build, path, reader, step);
  else readCommandStep(mapping, path, reader, step);

  readOptional(mapping, path, reader, step, draft);
  readPipelineOptions(mapping, path, reader, draft);
  return draft;
}

const isApproval = (mapping: YamlMapping) => {
  const approval = valueOf(mapping, 'approval');
  return approval !== undefined && isTrue(approval);
};

/** An approval step waits for a person: it runs nothing, so anything to run is a mistake. */
function readApprovalStep(mapping: YamlMapping, path: string, reader: FieldReader, step: StepDefinition): void {
  step.approval = true;
  for (const key of [
    'image',
    'commands',
    'build',
    'matrix',
    'retry',
    'cache',
    'services',
    'deploy',
    'no_output_timeout',
    'node_selector',
    'tolerations',
  ]) {
    const entry = entryOf(mapping, key);
    if (entry)
      reader.problems.error(childPath(path, key), entry.keyNode, `an approval step has no "${key}": it waits for a person and runs nothing`);
  }
}

/** `approval`, `matrix`, `when`, `retry`, `cache` and `services`. */
function readPipelineOptions(mapping: YamlMapping, path: string, reader: FieldReader, draft: StepDraft): void {
  const { step } = draft;
  const approval = valueOf(mapping, 'approval');
  if (approval) reader.boolean(approval, childPath(path, 'approval'));
  const matrix = valueOf(mapping, 'matrix');
  if (matrix) draft.matrix = readMatrix(matrix, childPath(path, 'matrix'), reader);
  const when = valueOf(mapping, 'when');
  if (when) step.when = readWhen(when, childPath(path, 'when'), reader);
  if (step.approval) return;
  const retry = valueOf(mapping, 'retry');
  if (retry) step.retry = readRetry(retry, childPath(path, 'retry'), reader);
  const cache = valueOf(mapping, 'cache');
  if (cache) step.cache = readCache(cache, childPath(path, 'cache'), reader);
  const services = valueOf(mapping, 'services');
  if (services) step.services = readServices(services, childPath(path, 'services'), reader);
}

function readCommandStep(
  mapping: YamlMapping,
  path: string,
  reader: FieldReader,
  step: StepDefinition,
): void {
  const imageNode = reader.required(mapping, path, 'image');
  if (imageNode) step.image = readImage(imageNode, childPath(path, 'image'), reader) ?? '';
  const commandsNode = reader.required(mapping, path, 'commands');
  if (commandsNode) step.commands = readCommands(commandsNode, childPath(path, 'commands'), reader);
  const deploy = entryOf(mapping, 'deploy');
  if (deploy && isTrue(deploy.value))
    reader.problems.error(
      childPath(path, 'deploy'),
      deploy.value,
      'only a step with "build" can be deployed: the image it pushes (with its digest) is what the deployer gets',
    );
}

/** A build step runs the backend's builder: an image or commands of its own would be ignored. */
function readBuildStep(
  mapping: YamlMapping,
  build: YamlNode,
  path: string,
  reader: FieldReader,
  step: StepDefinition,
): void {
  for (const key of ['image', 'commands']) {
    const entry = entryOf(mapping, key);
    if (entry)
      reader.problems.error(
        childPath(path, key),
        entry.keyNode,
        `a step with "build" has no "${key}": the image is built from build.dockerfile`,
      );
  }
  step.build = readBuild(build, childPath(path, 'build'), reader);
}

const isTrue = (node: YamlNode) => node.kind === 'scalar' && scalarBoolean(node) === true;

function readOptional(
  mapping: YamlMapping,
  path: string,
  reader: FieldReader,
  step: StepDefinition,
  draft: StepDraft,
): void {
  const environment = valueOf(mapping, 'environment');
  if (environment) step.environment = readEnvironment(environment, childPath(path, 'environment'), reader);

  const dependsOn = valueOf(mapping, 'depends_on');
  if (dependsOn) {
    const items = reader.stringList(dependsOn, draft.dependsOnPath) ?? [];
    draft.dependencies = items.map((item) => ({ name: item.value, node: item.node }));
    step.dependsOn = [...new Set(items.map((item) => item.value))];
  }

  const timeoutMs = readDuration(mapping, 'timeout', path, reader);
  if (timeoutMs !== undefined) step.timeoutMs = timeoutMs;
  const noOutputTimeoutMs = readDuration(mapping, 'no_output_timeout', path, reader);
  if (noOutputTimeoutMs !== undefined) step.noOutputTimeoutMs = noOutputTimeoutMs;

  const resources = valueOf(mapping, 'resources');
  if (resources) step.resources = readResources(resources, childPath(path, 'resources'), reader);

  const user = valueOf(mapping, 'user');
  if (user) {
    const text = reader.string(user, childPath(path, 'user'));
    if (text !== undefined && !USER.test(text))
      reader.problems.error(
        childPath(path, 'user'),
        user,
        `"${text}" is not a user; write a numeric uid or uid:gid such as "1000:1000"`,
      );
    else if (text !== undefined) step.user = text;
  }

  const nodeSelector = valueOf(mapping, 'node_selector');
  if (nodeSelector) step.nodeSelector = readNodeSelector(nodeSelector, childPath(path, 'node_selector'), reader);
  const tolerations = valueOf(mapping, 'tolerations');
  if (tolerations) step.tolerations = readTolerations(tolerations, childPath(path, 'tolerations'), reader);

  const deploy = valueOf(mapping, 'deploy');
  if (deploy) step.deploy = reader.boolean(deploy, childPath(path, 'deploy')) ?? false;
}

export function readName(
  node: YamlNode,
  path: string,
  reader: FieldReader,
  noun = 'step',
): string | undefined {
  const name = reader.string(node, path);
  if (name === undefined) return undefined;
  const problem = nameProblem(name, noun);
  if (problem) reader.problems.error(path, node, problem);
  return name;
}

export function readImage(node: YamlNode, path: string, reader: FieldReader): string | undefined {
  const image = reader.string(node, path);
  if (image !== undefined && /\s/.test(image.trim())) {
    reader.problems.error(path, node, `"${image}" is not an image reference (it contains whitespace)`);
  }
  return image?.trim();
}

export function readCommands(node: YamlNode, path: string, reader: FieldReader): string[] {
  const items = reader.stringList(node, path);
  if (items && items.length === 0) reader.problems.error(path, node, 'must list at least one command');
  for (const item of items ?? []) checkCommand(item, reader);
  return (items ?? []).map((item) => item.value);
}

/** Secrets in commands would end up in the pod spec and in logs before masking; only env may hold them. */
function checkCommand(item: StringItem, reader: FieldReader): void {
  if (!hasExpression(item.value)) return;
  reader.problems.error(
    item.path,
    item.node,
    '"${{ }}" expressions are only resolved in "environment"; set a variable there (e.g. TOKEN: ${{ secrets.TOKEN }}) and use $TOKEN in the command',
  );
}

function readDuration(mapping: YamlMapping, key: string, path: string, reader: FieldReader): number | undefined {
  const node = valueOf(mapping, key);
  if (!node) return undefined;
  const text = reader.string(node, childPath(path, key));
  const problem = text === undefined ? undefined : durationProblem(text);
  if (problem) reader.problems.error(childPath(path, key), node, problem);
  return text === undefined || problem ? undefined : parseDuration(text);
}

function readResources(node: YamlNode, path: string, reader: FieldReader): StepDefinition['resources'] {
  const mapping = reader.mapping(node, path, 'a mapping with "cpu" and/or "memory"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['cpu', 'memory'], UNSUPPORTED_RESOURCE_KEYS);
  const resources: NonNullable<StepDefinition['resources']> = {};
  for (const [key, check] of [
    ['cpu', cpuProblem],
    ['memory', memoryProblem],
  ] as const) {
    const value = valueOf(mapping, key);
    if (!value) continue;
    const text = reader.string(value, childPath(path, key));
    const problem = text === undefined ? undefined : check(text);
    if (problem) reader.problems.error(childPath(path, key), value, problem);
    else if (text !== undefined) resources[key] = text;
  }
  return resources;
}
