import { cacheKeyProblem } from '../cache/cache-key';
import {
  RUN_EVENTS,
  RunEventName,
  StepCache,
  StepCondition,
  StepConditionStatus,
  StepService,
} from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { globProblem } from '../triggers/glob-match';
import { checkArtifactPath } from '../values/artifact-path';
import { durationProblem, parseDuration } from '../values/duration';
import { nameProblem } from '../values/names';
import { scalarType, YamlNode } from '../yaml/yaml-node';
import { readEnvironment } from './environment.reader';
import { FieldReader, StringItem, valueOf } from './field.reader';

const STATUSES: readonly StepConditionStatus[] = ['success', 'failure', 'always'];
export const MAX_RETRY = 10;
const MAX_SERVICES = 8;
const DEFAULT_WAIT_MS = 60_000;

/** `when: { branch, tag, event, status }`. */
export function readWhen(node: YamlNode, path: string, reader: FieldReader): StepCondition | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "branch", "tag", "event" and/or "status"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['branch', 'tag', 'event', 'status']);
  const condition: StepCondition = { status: ['success'] };
  for (const key of ['branch', 'tag'] as const) {
    const items = listOf(mapping, key, path, reader);
    for (const item of items ?? []) {
      const problem = globProblem(item.value);
      if (problem) reader.problems.error(item.path, item.node, problem);
    }
    if (items) condition[key] = items.map((item) => item.value);
  }
  const events = listOf(mapping, 'event', path, reader);
  if (events) condition.event = oneOf(events, RUN_EVENTS, reader) as RunEventName[];
  const statuses = listOf(mapping, 'status', path, reader);
  if (statuses) condition.status = oneOf(statuses, STATUSES, reader) as StepConditionStatus[];
  return condition;
}

function listOf(mapping: Parameters<typeof valueOf>[0], key: string, path: string, reader: FieldReader) {
  const node = valueOf(mapping, key);
  if (!node) return undefined;
  const items = reader.stringList(node, childPath(path, key));
  if (items?.length === 0) reader.problems.error(childPath(path, key), node, 'must list at least one value');
  return items;
}

function oneOf(items: StringItem[], allowed: readonly string[], reader: FieldReader): string[] {
  for (const item of items) {
    if (!allowed.includes(item.value))
      reader.problems.error(item.path, item.node, `"${item.value}" is not one of ${allowed.join(', ')}`);
  }
  return items.map((item) => item.value).filter((value) => allowed.includes(value));
}

export function readRetry(node: YamlNode, path: string, reader: FieldReader): number | undefined {
  const value = node.kind === 'scalar' && scalarType(node) === 'number' ? Number(node.text) : NaN;
  if (Number.isInteger(value) && value >= 0 && value <= MAX_RETRY) return value;
  reader.problems.error(path, node, `must be a whole number from 0 to ${MAX_RETRY}`);
  return undefined;
}

/** `cache: [{ key, restore_keys?, paths }]`. */
export function readCache(node: YamlNode, path: string, reader: FieldReader): StepCache[] {
  if (node.kind !== 'sequence') {
    reader.problems.error(path, node, 'must be a list of { key, paths }');
    return [];
  }
  const caches: StepCache[] = [];
  node.items.forEach((item, index) => {
    const itemPath = childPath(path, index);
    const mapping = reader.mapping(item, itemPath, 'a mapping with "key" and "paths"');
    if (!mapping) return;
    reader.keys(mapping, itemPath, ['key', 'restore_keys', 'paths']);
    const keyNode = reader.required(mapping, itemPath, 'key');
    const key = keyNode ? readKey(keyNode, childPath(itemPath, 'key'), reader) : undefined;
    const restoreNode = valueOf(mapping, 'restore_keys');
    const restoreKeys = restoreNode ? (reader.stringList(restoreNode, childPath(itemPath, 'restore_keys')) ?? []) : [];
    for (const restore of restoreKeys) readKey(restore.node, restore.path, reader);
    const pathsNode = reader.required(mapping, itemPath, 'paths');
    const paths = pathsNode ? readPaths(pathsNode, childPath(itemPath, 'paths'), reader) : [];
    if (key !== undefined) caches.push({ key, restoreKeys: restoreKeys.map((r) => r.value), paths });
  });
  return caches;
}

function readKey(node: YamlNode, path: string, reader: FieldReader): string | undefined {
  const key = reader.string(node, path);
  const problem = key === undefined ? undefined : cacheKeyProblem(key);
  if (problem) reader.problems.error(path, node, problem);
  return problem ? undefined : key;
}

function readPaths(node: YamlNode, path: string, reader: FieldReader): string[] {
  const items = reader.stringList(node, path) ?? [];
  if (items.length === 0) reader.problems.error(path, node, 'must list at least one path');
  const paths: string[] = [];
  for (const item of items) {
    const checked = checkArtifactPath(item.value);
    if (!checked.ok) reader.problems.error(item.path, item.node, checked.problem);
    else if (checked.path === '.') reader.problems.error(item.path, item.node, 'must name a file or directory, not the whole workspace');
    else paths.push(checked.path.replace(/\/$/, ''));
  }
  return paths;
}

/** `services: [{ name, image, environment?, commands?, wait_for? }]`. */
export function readServices(node: YamlNode, path: string, reader: FieldReader): StepService[] {
  if (node.kind !== 'sequence') {
    reader.problems.error(path, node, 'must be a list of { name, image }');
    return [];
  }
  if (node.items.length > MAX_SERVICES)
    reader.problems.error(path, node.items[MAX_SERVICES], `has ${node.items.length} services; at most ${MAX_SERVICES} are allowed`);
  const services: StepService[] = [];
  const names = new Set<string>();
  node.items.slice(0, MAX_SERVICES).forEach((item, index) => {
    const service = readService(item, childPath(path, index), reader);
    if (!service) return;
    if (names.has(service.name))
      reader.problems.error(childPath(path, index), item, `duplicate service name "${service.name}"`);
    names.add(service.name);
    services.push(service);
  });
  return services;
}

function readService(node: YamlNode, path: string, reader: FieldReader): StepService | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "name" and "image"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['name', 'image', 'environment', 'commands', 'wait_for']);
  const nameNode = reader.required(mapping, path, 'name');
  const name = nameNode ? reader.string(nameNode, childPath(path, 'name')) : undefined;
  const problem = name === undefined ? undefined : nameProblem(name, 'service');
  if (problem && nameNode) reader.problems.error(childPath(path, 'name'), nameNode, problem);
  const imageNode = reader.required(mapping, path, 'image');
  const image = imageNode ? reader.string(imageNode, childPath(path, 'image'))?.trim() : undefined;
  if (image && /\s/.test(image) && imageNode)
    reader.problems.error(childPath(path, 'image'), imageNode, `"${image}" is not an image reference (it contains whitespace)`);
  const environmentNode = valueOf(mapping, 'environment');
  const environment = environmentNode ? readEnvironment(environmentNode, childPath(path, 'environment'), reader, 'service') : {};
  const commandsNode = valueOf(mapping, 'commands');
  const commands = commandsNode ? reader.stringList(commandsNode, childPath(path, 'commands'))?.map((c) => c.value) : undefined;
  const waitNode = valueOf(mapping, 'wait_for');
  const waitFor = waitNode ? readWaitFor(waitNode, childPath(path, 'wait_for'), reader) : undefined;
  if (name === undefined || problem || !image) return undefined;
  return { name, image, environment, ...(commands ? { commands } : {}), ...(waitFor ? { waitFor } : {}) };
}

function readWaitFor(node: YamlNode, path: string, reader: FieldReader): StepService['waitFor'] {
  const mapping = reader.mapping(node, path, 'a mapping with "port" and optionally "timeout"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['port', 'timeout']);
  const portNode = reader.required(mapping, path, 'port');
  const port = portNode?.kind === 'scalar' ? Number(portNode.text) : NaN;
  if (portNode && !(Number.isInteger(port) && port >= 1 && port <= 65535))
    reader.problems.error(childPath(path, 'port'), portNode, 'must be a port number from 1 to 65535');
  const timeoutNode = valueOf(mapping, 'timeout');
  const timeout = timeoutNode ? reader.string(timeoutNode, childPath(path, 'timeout')) : undefined;
  const timeoutProblem = timeout === undefined ? undefined : durationProblem(timeout);
  if (timeoutProblem && timeoutNode) reader.problems.error(childPath(path, 'timeout'), timeoutNode, timeoutProblem);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || timeoutProblem) return undefined;
  return { port, timeoutMs: (timeout === undefined ? undefined : parseDuration(timeout)) ?? DEFAULT_WAIT_MS };
}
