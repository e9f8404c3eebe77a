import { hasExpression } from '../env/expressions';
import { readEnvironment } from '../reader/environment.reader';
import { childPath } from '../problems/problem-collector';
import { valueOf } from '../reader/field.reader';
import { scalarBoolean, YamlNode } from '../yaml/yaml-node';
import { JobCommand, RunCondition, StepContext } from './circleci-job-plan';
import { mapPath, shellQuote } from './circleci-paths';

const RUN_KEYS = [
  'command',
  'name',
  'environment',
  'working_directory',
  'shell',
  'background',
  'when',
  'no_output_timeout',
];
const CONDITIONS: RunCondition[] = ['on_success', 'always', 'on_fail'];
/** What CircleCI gives a `run` step that names no `no_output_timeout`. */
export const CIRCLECI_NO_OUTPUT_TIMEOUT_MS = 10 * 60_000;
/** CircleCI reads durations as Go does: `20m`, `1.25h`, `1h30m`, `90s`. */
const GO_DURATION = /^(?:\d+(?:\.\d+)?[hms])+$/;
const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

/**
 * A `run` step as one command of the job's script. CircleCI runs each command in a fresh shell in
 * the working directory, so every command runs in a child shell: `cd`, `export` and `set` never
 * leak into the next one. Without `shell`, `circleci_run` picks bash (`-eo pipefail`) when the
 * image has it and sh otherwise, as CircleCI does.
 */
export function readRun(node: YamlNode, path: string, ctx: StepContext): JobCommand | undefined {
  const { reader } = ctx;
  if (node.kind !== 'mapping') {
    ctx.plan.noOutputTimeouts.push(undefined);
    return runCommand(node, path, ctx, {});
  }
  reader.keys(node, path, RUN_KEYS);
  const command = reader.required(node, path, 'command');
  const name = valueOf(node, 'name');
  if (name) reader.string(name, childPath(path, 'name'));
  const environment = valueOf(node, 'environment');
  const shell = valueOf(node, 'shell');
  const directory = valueOf(node, 'working_directory');
  const background = valueOf(node, 'background');
  const when = valueOf(node, 'when');
  const timeout = valueOf(node, 'no_output_timeout');
  ctx.plan.noOutputTimeouts.push(timeout && readNoOutputTimeout(timeout, childPath(path, 'no_output_timeout'), ctx));
  if (!command) return undefined;
  return runCommand(command, childPath(path, 'command'), ctx, {
    environment: environment && readEnvironment(environment, childPath(path, 'environment'), reader),
    shell: shell && reader.string(shell, childPath(path, 'shell')),
    directory: directory && reader.string(directory, childPath(path, 'working_directory')),
    background: background?.kind === 'scalar' && scalarBoolean(background) === true,
    when: when && readCondition(when, childPath(path, 'when'), ctx),
  });
}

function readNoOutputTimeout(node: YamlNode, path: string, ctx: StepContext): number | undefined {
  const text = ctx.reader.string(node, path);
  if (text === undefined) return undefined;
  const ms = GO_DURATION.test(text)
    ? [...text.matchAll(/(\d+(?:\.\d+)?)([hms])/g)].reduce((sum, [, n, unit]) => sum + Number(n) * GO_UNIT_MS[unit], 0)
    : 0;
  if (ms >= 1000) return Math.round(ms);
  ctx.reader.problems.warn(path, node, `"${text}" is not a duration of a second or more (like 20m or 1.5h); it is left out`);
  return undefined;
}

/**
 * A Kiln step is a whole CircleCI job, one script, so its no-output timeout is the largest of its
 * `run` steps' (CircleCI's 10m for those naming none): it never kills a command CircleCI would have
 * let run, though a command may stay silent longer than its own limit. A job whose `run` steps name
 * none keeps Kiln's default: only the step's `timeout`.
 */
export function jobNoOutputTimeout(timeouts: Array<number | undefined>): number | undefined {
  if (timeouts.every((ms) => ms === undefined)) return undefined;
  return timeouts.reduce<number>((max, ms) => Math.max(max, ms ?? CIRCLECI_NO_OUTPUT_TIMEOUT_MS), 0);
}

interface RunOptions {
  environment?: Record<string, string>;
  shell?: string;
  directory?: string;
  background?: boolean;
  when?: RunCondition;
}

function runCommand(
  node: YamlNode,
  path: string,
  ctx: StepContext,
  options: RunOptions,
): JobCommand | undefined {
  const command = ctx.reader.string(node, path);
  if (command === undefined) return undefined;
  if (hasExpression(command)) {
    ctx.reader.problems.error(path, node, '"${{ }}" expressions are only resolved in "environment"');
  }
  const shell = options.shell ?? ctx.plan.shell;
  if (!shell) ctx.plan.usesDefaultShell = true;
  const body = shell ? `${shell} -c ${shellQuote(command)}` : `circleci_run ${shellQuote(command)}`;
  const prefix = [
    ...Object.entries(options.environment ?? {}).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
    ...(options.directory ? [changeDirectory(options.directory, ctx)] : []),
  ];
  const script = prefix.length ? `(${[...prefix, body].join(' && ')})` : body;
  return { script, when: options.when ?? 'on_success', ...(options.background && { background: true }) };
}

/** CircleCI creates a missing working directory; relative ones are under the job's, the workspace. */
function changeDirectory(directory: string, ctx: StepContext): string {
  const mapped = mapPath(directory, ctx.plan.workingDirectory);
  const target = mapped.inside ? shellQuote(mapped.path) : mapped.shell;
  return `mkdir -p ${target} && cd ${target}`;
}

export function readCondition(node: YamlNode, path: string, ctx: StepContext): RunCondition | undefined {
  const text = ctx.reader.string(node, path);
  if (text === undefined) return undefined;
  if ((CONDITIONS as string[]).includes(text)) return text as RunCondition;
  ctx.reader.problems.error(path, node, `must be one of ${CONDITIONS.join(', ')}`);
  return undefined;
}
