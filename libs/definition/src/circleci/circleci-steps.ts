import { suggestion } from '../problems/did-you-mean';
import { childPath } from '../problems/problem-collector';
import { valueOf } from '../reader/field.reader';
import { isNullNode, YamlMapping, YamlNode } from '../yaml/yaml-node';
import { evaluateCondition } from './circleci-conditions';
import { MAX_COMMAND_DEPTH, MAX_JOB_COMMANDS, StepContext } from './circleci-job-plan';
import { bindParameters, substitute } from './circleci-parameters';
import { readRun } from './circleci-run';
import {
  readAttachWorkspace,
  readCache,
  readPersistToWorkspace,
  readStoreArtifacts,
} from './circleci-storage';

/** Steps with no Kiln equivalent, and what to do instead. */
const NO_EQUIVALENT: Record<string, string> = {
  setup_remote_docker: 'use a step with "build:" in a .platform.yaml to build and push images',
  add_ssh_keys: 'give keys to a step as project secrets through "environment"',
};

const BUILT_IN = [
  'checkout',
  'run',
  'deploy',
  'store_artifacts',
  'store_test_results',
  'persist_to_workspace',
  'attach_workspace',
  'save_cache',
  'restore_cache',
  'when',
  'unless',
  'steps',
  ...Object.keys(NO_EQUIVALENT),
];

/** Expands a list of steps into the job's commands, in order; problems are reported in place. */
export function expandSteps(node: YamlNode, path: string, ctx: StepContext): void {
  if (isNullNode(node)) return;
  if (node.kind !== 'sequence') {
    ctx.reader.problems.error(path, node, 'must be a list of steps');
    return;
  }
  node.items.forEach((item, index) => expandStep(item, childPath(path, index), ctx));
}

function expandStep(node: YamlNode, path: string, ctx: StepContext): void {
  if (ctx.plan.commands.length > MAX_JOB_COMMANDS) return;
  // `- << parameters.steps >>` substitutes a whole list of steps in place.
  if (node.kind === 'sequence') return expandSteps(node, path, ctx);
  let type: string;
  let value: YamlNode | undefined;
  if (node.kind === 'scalar' && !isNullNode(node)) type = node.text;
  else if (node.kind === 'mapping' && node.entries.length === 1) {
    type = node.entries[0].key;
    value = node.entries[0].value;
  } else {
    ctx.reader.problems.error(path, node, 'must be one step, like "checkout" or "run: npm test"');
    return;
  }
  // CircleCI also accepts built-in steps spelt with "-" (`store-test-results`).
  const builtInName = type.replace(/-/g, '_');
  const spelt = !ctx.definitions.commands.has(type) && BUILT_IN.includes(builtInName) ? builtInName : type;
  builtIn(spelt, value, node, childPath(path, type), ctx);
}

function builtIn(
  type: string,
  value: YamlNode | undefined,
  node: YamlNode,
  path: string,
  ctx: StepContext,
): void {
  const { reader, plan } = ctx;
  const needsValue = [
    'run',
    'deploy',
    'store_artifacts',
    'store_test_results',
    'persist_to_workspace',
    'attach_workspace',
    'save_cache',
    'restore_cache',
    'when',
    'unless',
  ];
  if (needsValue.includes(type) && (!value || isNullNode(value))) {
    reader.problems.error(path, node, `"${type}" needs a value`);
    return;
  }
  const given = value as YamlNode;
  switch (type) {
    case 'checkout':
      return checkout(value, path, ctx);
    case 'run':
    case 'deploy': {
      const command = readRun(given, path, ctx);
      if (command) plan.commands.push(command);
      return;
    }
    case 'store_artifacts':
    case 'store_test_results':
      return readStoreArtifacts(given, path, ctx, type === 'store_test_results');
    case 'persist_to_workspace':
      return readPersistToWorkspace(given, path, ctx);
    case 'attach_workspace':
      return readAttachWorkspace(given, path, ctx);
    case 'save_cache':
    case 'restore_cache':
      return readCache(given, path, ctx, type);
    case 'when':
    case 'unless':
      return conditional(given, path, ctx, type === 'when');
    case 'steps':
      return value ? expandSteps(value, path, ctx) : undefined;
  }
  if (Object.hasOwn(NO_EQUIVALENT, type)) {
    reader.problems.error(path, node, `"${type}" has no Kiln equivalent; ${NO_EQUIVALENT[type]}`);
    return;
  }
  invoke(type, value, node, path, ctx);
}

/** The workspace is cloned before any step starts, so `checkout` itself has nothing left to do. */
function checkout(value: YamlNode | undefined, path: string, ctx: StepContext): void {
  if (!value || isNullNode(value)) return;
  const mapping = ctx.reader.mapping(value, path, 'a mapping with "path"');
  if (!mapping) return;
  ctx.reader.keys(mapping, path, ['path', 'method']);
  const target = valueOf(mapping, 'path');
  if (target) {
    ctx.reader.problems.error(
      childPath(path, 'path'),
      target,
      'checking out into another directory has no Kiln equivalent; the repository is the workspace (set "working_directory" on the job instead)',
    );
  }
}

/** `when`/`unless` steps are decided at import: their conditions only read parameters. */
function conditional(node: YamlNode, path: string, ctx: StepContext, expected: boolean): void {
  const mapping = ctx.reader.mapping(node, path, 'a mapping with "condition" and "steps"');
  if (!mapping) return;
  ctx.reader.keys(mapping, path, ['condition', 'steps']);
  const condition = ctx.reader.required(mapping, path, 'condition');
  const steps = ctx.reader.required(mapping, path, 'steps');
  if (!condition || !steps) return;
  const result = evaluateCondition(condition, childPath(path, 'condition'), ctx.reader);
  if (result === expected) expandSteps(steps, childPath(path, 'steps'), ctx);
}

/** A reusable command (the file's, an inline orb's or a shipped orb's), expanded with its arguments. */
function invoke(
  name: string,
  value: YamlNode | undefined,
  node: YamlNode,
  path: string,
  ctx: StepContext,
): void {
  const { reader, definitions } = ctx;
  const orb = name.includes('/') ? name.split('/')[0] : undefined;
  if (orb && definitions.unknownOrbs.has(orb)) return;
  const command = definitions.commands.get(name);
  if (
    !command &&
    orb &&
    definitions.commands.size &&
    [...definitions.commands.keys()].some((key) => key.startsWith(`${orb}/`))
  ) {
    reader.problems.error(
      path,
      node,
      `"${name}" has no Kiln equivalent: Kiln expands only some of this orb's commands; replace it with "run" steps`,
    );
    return;
  }
  if (!command) {
    const known = [...BUILT_IN, ...definitions.commands.keys()];
    reader.problems.error(path, node, `unknown step or command "${name}"${suggestion(name, known)}`);
    return;
  }
  if (ctx.stack.includes(name) || ctx.stack.length >= MAX_COMMAND_DEPTH) {
    reader.problems.error(
      path,
      node,
      `command "${name}" calls itself (${[...ctx.stack, name].join(' -> ')})`,
    );
    return;
  }
  const args =
    value && !isNullNode(value) ? reader.mapping(value, path, 'a mapping of parameters') : undefined;
  const bound = bindParameters(command.declarations, args, node, path, reader);
  const scope = { parameters: bound, pipeline: ctx.pipeline };
  const body: YamlMapping = command.body;
  const steps = valueOf(body, 'steps');
  if (!steps) {
    reader.problems.error(command.path, body, 'missing required key "steps"');
    return;
  }
  const expanded = substitute(steps, scope, childPath(command.path, 'steps'), reader);
  ctx.stack.push(name);
  expandSteps(expanded, childPath(command.path, 'steps'), ctx);
  ctx.stack.pop();
}
