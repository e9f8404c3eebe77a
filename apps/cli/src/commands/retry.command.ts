import { Command } from 'commander';
import { resolveRun, runPath } from '../api/references';
import { Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { followToEnd } from '../logs/follow-to-end';
import { colors } from '../output/style';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface RetryOptions {
  project?: string;
  failedOnly?: boolean;
  follow?: boolean;
  json?: boolean;
}

export function registerRetryCommand(program: Command, ctx: CliContext): void {
  program
    .command('retry <run>')
    .description('start a new run from the same commit and definition')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('--failed-only', 'reuse the steps that succeeded; run only the others')
    .option('-f, --follow', 'follow the new run like `kiln run` and exit with its result')
    .option('--json', 'print the new run as JSON')
    .action((ref: string, options: RetryOptions) => retry(ctx, ref, options));
}

async function retry(ctx: CliContext, ref: string, options: RetryOptions): Promise<void> {
  const client = ctx.client();
  const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
  const next = await client.post<Run>(`${runPath(project.id, run.id)}/retry`, {
    failed_only: options.failedOnly ?? false,
  });
  if (options.follow) return followToEnd(ctx, project, next, { json: options.json ?? false });
  if (options.json) return ctx.json(next);
  const number = next.number ? `#${next.number}` : next.id;
  const mode = options.failedOnly ? ' (failed steps only)' : '';
  ctx.print(
    `Started run ${colors.bold(number)} retrying #${run.number}${mode}: kiln logs ${project.name}/${next.number ?? next.id} -f`,
  );
}
