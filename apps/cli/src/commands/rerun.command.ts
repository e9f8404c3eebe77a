import { Command } from 'commander';
import { findStep, resolveRun, runPath } from '../api/references';
import { Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { followToEnd } from '../logs/follow-to-end';
import { colors } from '../output/style';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface RerunOptions {
  project?: string;
  follow?: boolean;
  json?: boolean;
}

/** `kiln rerun <run> <step>`: a new run that runs one step and its dependants again. */
export function registerRerunCommand(program: Command, ctx: CliContext): void {
  program
    .command('rerun <run> <step>')
    .description('start a new run that runs one step and the steps depending on it again, reusing the other succeeded steps')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('-f, --follow', 'follow the new run like `kiln run` and exit with its result')
    .option('--json', 'print the new run as JSON')
    .action((ref: string, stepRef: string, options: RerunOptions) => rerun(ctx, ref, stepRef, options));
}

async function rerun(ctx: CliContext, ref: string, stepRef: string, options: RerunOptions): Promise<void> {
  const client = ctx.client();
  const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
  const step = findStep(run, stepRef);
  const next = await client.post<Run>(`${runPath(project.id, run.id)}/steps/${step.id}/rerun`, {});
  if (options.follow) return followToEnd(ctx, project, next, { json: options.json ?? false });
  if (options.json) return ctx.json(next);
  const number = next.number ? `#${next.number}` : next.id;
  ctx.print(
    `Started run ${colors.bold(number)} rerunning step ${step.name} of #${run.number}: kiln logs ${project.name}/${next.number ?? next.id} -f`,
  );
}
