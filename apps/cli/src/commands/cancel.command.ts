import { Command } from 'commander';
import { resolveRun, runPath } from '../api/references';
import { Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { paintStatus } from '../output/style';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

export function registerCancelCommand(program: Command, ctx: CliContext): void {
  program
    .command('cancel <run>')
    .description('stop a run: running steps are stopped, pending ones cancelled')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('--json', 'print the run as JSON')
    .action(async (ref: string, options: { project?: string; json?: boolean }) => {
      const client = ctx.client();
      const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
      const answer = await client.post<Run | undefined>(`${runPath(project.id, run.id)}/cancel`);
      if (options.json) return ctx.json(answer ?? (await client.get<Run>(runPath(project.id, run.id))));
      const status = answer?.status ?? 'cancelling';
      ctx.print(`Cancel requested for run #${run.number} of ${project.name} (now ${paintStatus(status)})`);
    });
}
