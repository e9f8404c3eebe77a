import { Command } from 'commander';
import { findStep, resolveRun, runPath } from '../api/references';
import { CliContext } from '../context';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface DecideOptions {
  project?: string;
  comment?: string;
  json?: boolean;
}

/** `kiln approve` and `kiln reject`: decide a run's waiting approval step. */
export function registerApprovalCommands(program: Command, ctx: CliContext): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(`${decision} <run> <step>`)
      .description(
        decision === 'approve'
          ? 'approve a waiting approval step: the steps after it start'
          : 'reject a waiting approval step: it fails, and the run with it',
      )
      .option(PROJECT_FLAGS, PROJECT_HELP)
      .option('--comment <text>', 'why (kept with the decision; a rejection shows it as the reason)')
      .option('--json', 'print the answer as JSON')
      .action(async (ref: string, stepRef: string, options: DecideOptions) => {
        const client = ctx.client();
        const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
        const step = findStep(run, stepRef);
        const answer = await client.post<unknown>(
          `${runPath(project.id, run.id)}/steps/${step.id}/${decision}`,
          options.comment ? { comment: options.comment } : {},
        );
        if (options.json) return ctx.json(answer);
        const done = decision === 'approve' ? 'Approved' : 'Rejected';
        ctx.print(`${done} step ${step.name} of run #${run.number} of ${project.name}`);
      });
  }
}
