import { Command } from 'commander';
import { resolvePipeline, resolveProject, splitPipelineRef } from '../api/references';
import { Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { followToEnd } from '../logs/follow-to-end';
import { runTitle } from '../logs/run-summary';
import { collect, PROJECT_FLAGS, PROJECT_HELP, projectFrom, variable } from './options';

interface RunOptions {
  project?: string;
  ref?: string;
  var?: string[];
  follow: boolean;
  json?: boolean;
}

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run <pipeline>')
    .description("start a run (<project>/<pipeline>), follow every step's log and exit with its result")
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('-r, --ref <ref>', "branch, tag or commit to build (default: the project's default branch)")
    .option('--var <NAME=value>', "a variable in every step's environment; repeat for several", collect(variable))
    .option('--no-follow', 'print the run and return at once')
    .option('--json', 'print the finished run as JSON instead of logs')
    .action((ref: string, options: RunOptions) => startRun(ctx, ref, options));
}

async function startRun(ctx: CliContext, ref: string, options: RunOptions): Promise<void> {
  const target = splitPipelineRef(ref, projectFrom(options, ctx.env));
  const client = ctx.client();
  const project = await resolveProject(client, target.project);
  const pipeline = await resolvePipeline(client, project, target.pipeline);
  const gitRef = options.ref ?? project.default_branch ?? 'main';
  const run = await client.post<Run>(`/api/projects/${project.id}/pipelines/${pipeline.id}/runs`, {
    git_ref: gitRef,
    ...(options.var ? { variables: variablesOf(options.var) } : {}),
  });
  if (!options.follow) {
    if (options.json) return ctx.json(run);
    return ctx.print(
      `Started ${runTitle({ ...run, git_ref: run.git_ref ?? gitRef }, project.name, pipeline.name)} ${run.id}`,
    );
  }
  await followToEnd(ctx, project, run, { json: options.json ?? false, pipelineName: pipeline.name });
}

function variablesOf(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}
