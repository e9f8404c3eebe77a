import { StepResources, StepService } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { readEnvironment } from '../reader/environment.reader';
import { FieldReader, valueOf } from '../reader/field.reader';
import { readImage } from '../reader/step.reader';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { CircleCiDefinitions } from './circleci-definitions';
import { bindParameters, substitute } from './circleci-parameters';
import { shellQuote } from './circleci-paths';
import { ResourceClassTable } from './circleci-resource-classes';

/** What a job runs in, from its executor (inline or reusable) with the job's own keys on top. */
export interface ExecutionEnvironment {
  image: string;
  environment: Record<string, string>;
  workingDirectory?: string;
  shell?: string;
  resources?: StepResources;
  /** Secondary `docker` images: reachable on localhost from the job, as in CircleCI. */
  services: StepService[];
  /** The executor comes from an orb Kiln does not ship; the orb already carries the error. */
  unknownOrb?: boolean;
}

export const EXECUTOR_KEYS = [
  'docker',
  'machine',
  'macos',
  'windows',
  'resource_class',
  'working_directory',
  'shell',
  'environment',
  'parameters',
  'description',
];

const NO_EQUIVALENT: Record<string, string> = {
  machine: 'machine executors have no Kiln equivalent: every step is a container; use "docker" with an image',
  macos: 'macOS executors have no Kiln equivalent: every step is a Linux container',
  windows: 'Windows executors have no Kiln equivalent: every step is a Linux container',
};

const IMAGE_KEYS = [
  'image',
  'environment',
  'auth',
  'aws_auth',
  'name',
  'entrypoint',
  'command',
  'user',
  'ports',
];

export function resolveEnvironment(
  body: YamlMapping,
  path: string,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
  pipeline: Map<string, YamlNode>,
): ExecutionEnvironment {
  const executor = valueOf(body, 'executor');
  const base = executor
    ? executorEnvironment(executor, childPath(path, 'executor'), definitions, reader, pipeline)
    : undefined;
  if (base?.unknownOrb) return base;
  // The job's own `docker` list replaces the executor's, secondary images included.
  const own = readExecutorKeys(body, path, definitions, reader, !base);
  return {
    image: own.image || base?.image || '',
    environment: { ...base?.environment, ...own.environment },
    workingDirectory: own.workingDirectory ?? base?.workingDirectory,
    shell: own.shell ?? base?.shell,
    resources: own.resources ?? base?.resources,
    services: own.image ? own.services : (base?.services ?? []),
  };
}

function executorEnvironment(
  node: YamlNode,
  path: string,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
  pipeline: Map<string, YamlNode>,
): ExecutionEnvironment | undefined {
  const args = node.kind === 'mapping' ? node : undefined;
  const nameNode = args ? reader.required(args, path, 'name') : node;
  const name = nameNode && reader.string(nameNode, args ? childPath(path, 'name') : path);
  if (!nameNode || name === undefined) return undefined;
  const orb = name.includes('/') ? name.split('/')[0] : undefined;
  if (orb && definitions.unknownOrbs.has(orb))
    return { image: '', environment: {}, services: [], unknownOrb: true };
  const executor = definitions.executors.get(name);
  if (!executor) {
    reader.problems.error(path, nameNode, `unknown executor "${name}"`);
    return undefined;
  }
  const parameters = bindParameters(executor.declarations, args, node, path, reader, ['name']);
  const body = substitute(executor.body, { parameters, pipeline }, executor.path, reader) as YamlMapping;
  reader.keys(body, executor.path, EXECUTOR_KEYS);
  return readExecutorKeys(body, executor.path, definitions, reader, true);
}

function readExecutorKeys(
  body: YamlMapping,
  path: string,
  definitions: CircleCiDefinitions,
  reader: FieldReader,
  needsImage: boolean,
): ExecutionEnvironment {
  const result: ExecutionEnvironment = { image: '', environment: {}, services: [] };
  for (const [key, message] of Object.entries(NO_EQUIVALENT)) {
    const entry = body.entries.find((e) => e.key === key);
    if (entry) reader.problems.error(childPath(path, key), entry.keyNode, message);
  }
  const docker = valueOf(body, 'docker');
  if (docker) readDocker(docker, childPath(path, 'docker'), reader, result);
  else if (needsImage && !NO_EQUIVALENT_KEYS.some((key) => valueOf(body, key))) {
    reader.problems.error(
      path,
      body,
      'missing "docker" (or "executor"): Kiln needs an image to run the job in',
    );
  }
  const environment = valueOf(body, 'environment');
  if (environment)
    Object.assign(
      result.environment,
      readEnvironmentList(environment, childPath(path, 'environment'), reader),
    );
  const directory = valueOf(body, 'working_directory');
  if (directory) result.workingDirectory = reader.string(directory, childPath(path, 'working_directory'));
  const shell = valueOf(body, 'shell');
  if (shell) result.shell = reader.string(shell, childPath(path, 'shell'));
  const resourceClass = valueOf(body, 'resource_class');
  if (resourceClass)
    result.resources = readResourceClass(
      resourceClass,
      childPath(path, 'resource_class'),
      definitions.resourceClasses,
      reader,
    );
  return result;
}

const NO_EQUIVALENT_KEYS = Object.keys(NO_EQUIVALENT);

function readDocker(node: YamlNode, path: string, reader: FieldReader, result: ExecutionEnvironment): void {
  if (node.kind !== 'sequence' || node.items.length === 0) {
    reader.problems.error(path, node, 'must list at least one image, like "- image: node:20"');
    return;
  }
  const imagePath = childPath(path, 0);
  const image = reader.mapping(node.items[0], imagePath, 'a mapping with "image"');
  node.items.slice(1).forEach((item, i) => {
    const service = readService(item, childPath(path, i + 1), reader, result.services);
    if (service) result.services.push(service);
  });
  if (!image) return;
  reader.keys(image, imagePath, IMAGE_KEYS);
  const imageNode = reader.required(image, imagePath, 'image');
  if (imageNode) result.image = readImage(imageNode, childPath(imagePath, 'image'), reader) ?? '';
  for (const key of ['auth', 'aws_auth', 'entrypoint', 'command', 'user', 'name', 'ports']) {
    const entry = image.entries.find((e) => e.key === key);
    if (entry) reader.problems.warn(childPath(imagePath, key), entry.keyNode, IGNORED_IMAGE_KEYS[key]);
  }
  const environment = valueOf(image, 'environment');
  if (environment)
    Object.assign(
      result.environment,
      readEnvironmentList(environment, childPath(imagePath, 'environment'), reader),
    );
}

const IGNORED_IMAGE_KEYS: Record<string, string> = {
  auth: "is ignored: Kiln pulls with the project's registry credentials (kiln registries set)",
  aws_auth: "is ignored: Kiln pulls with the project's registry credentials (kiln registries set)",
  entrypoint: "is ignored: Kiln runs the job's commands with the image's shell",
  command: "is ignored: Kiln runs the job's commands with the image's shell",
  user: "is ignored: the step runs as the executor's default user",
  name: "is ignored: the job's container has no other containers to reach it by name",
  ports: 'is ignored: the job and its services share one network namespace and reach each other on localhost',
};

/**
 * A secondary image as a service, named by its `name` or its image (`cimg/postgres:16` ->
 * `postgres`); `command` replaces the image's command, as a shell command.
 */
function readService(
  node: YamlNode,
  path: string,
  reader: FieldReader,
  taken: StepService[],
): StepService | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "image"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, IMAGE_KEYS);
  const imageNode = reader.required(mapping, path, 'image');
  const image = imageNode && readImage(imageNode, childPath(path, 'image'), reader);
  if (!image) return undefined;
  for (const key of ['auth', 'aws_auth', 'entrypoint', 'user', 'ports']) {
    const entry = mapping.entries.find((e) => e.key === key);
    if (entry) reader.problems.warn(childPath(path, key), entry.keyNode, IGNORED_IMAGE_KEYS[key]);
  }
  const written = valueOf(mapping, 'name');
  const base =
    (written && reader.string(written, childPath(path, 'name'))) ??
    image.split('/').pop()?.split(/[:@]/)[0] ??
    'service';
  let name =
    base
      .toLowerCase()
      .replace(/[^-a-z0-9_.]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'service';
  for (let n = 2; taken.some((s) => s.name === name); n++) name = `${base}-${n}`;
  const environment = valueOf(mapping, 'environment');
  const command = valueOf(mapping, 'command');
  const commands = command && reader.stringList(command, childPath(path, 'command'))?.map((c) => c.value);
  return {
    name,
    image,
    environment: environment
      ? readEnvironmentList(environment, childPath(path, 'environment'), reader, 'service')
      : {},
    ...(commands?.length && { commands: [commands.map(shellQuote).join(' ')] }),
  };
}

/** CircleCI accepts a mapping or a list of `NAME=value` strings (or one-entry mappings). */
export function readEnvironmentList(
  node: YamlNode,
  path: string,
  reader: FieldReader,
  of: 'step' | 'service' = 'step',
): Record<string, string> {
  if (isNullNode(node)) return {};
  if (node.kind !== 'sequence') return readEnvironment(node, path, reader, of);
  const entries: YamlMapping = { ...node, kind: 'mapping', entries: [] };
  node.items.forEach((item, i) => {
    if (item.kind === 'mapping') entries.entries.push(...item.entries);
    else if (item.kind === 'scalar' && /^[^=]+=/.test(item.text)) {
      const [key, ...rest] = item.text.split('=');
      entries.entries.push({ key, keyNode: item, value: { ...item, text: rest.join('='), plain: false } });
    } else reader.problems.error(childPath(path, i), item, 'must be NAME=value or a NAME: value mapping');
  });
  return readEnvironment(entries, path, reader, of);
}

function readResourceClass(
  node: YamlNode,
  path: string,
  table: ResourceClassTable,
  reader: FieldReader,
): StepResources | undefined {
  const name = reader.string(node, path);
  if (name === undefined) return undefined;
  const resources = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!resources) {
    reader.problems.warn(
      path,
      node,
      `resource class "${name}" is not in Kiln's table (${Object.keys(table).join(', ')}); the executor's default resources apply`,
    );
  }
  return resources && { ...resources };
}
