import { Command } from 'commander';
import { resolveRun } from '../api/references';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { RunFollower } from '../logs/run-follower';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface LogsOptions {
  project?: string;
  follow?: boolean;
  prefix: boolean;
}

export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command('logs <run> [step]')
    .description("a run's logs: one step's, or every step's prefixed with its name")
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('-f, --follow', 'keep following until the steps (and the run) finish')
    .option('--no-prefix', 'do not prefix lines with the step name')
    .action((ref: string, step: string | undefined, options: LogsOptions) =>
      showLogs(ctx, ref, step, options),
    );
}

async function showLogs(
  ctx: CliContext,
  ref: string,
  step: string | undefined,
  options: LogsOptions,
): Promise<void> {
  const client = ctx.client();
  const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
  const names = (run.steps ?? []).map((s) => s.name);
  if (step && !names.includes(step)) {
    throw new UsageError(
      `run #${run.number} has no step "${step}" (steps: ${names.join(', ') || 'none yet'})`,
    );
  }
  await new RunFollower(client, project, run, {
    steps: step ? [step] : [],
    follow: options.follow ?? false,
    prefix: options.prefix && !step,
    write: (text) => ctx.write(text),
  }).start();
}
