import { Command, CommanderError } from 'commander';
import { registerApprovalCommands } from './commands/approve.command';
import { registerArtifactsCommand } from './commands/artifacts.command';
import { registerCancelCommand } from './commands/cancel.command';
import { registerHookCommand } from './commands/hook.command';
import { registerLoginCommands } from './commands/login.command';
import { registerLogsCommand } from './commands/logs.command';
import { registerMembersCommand } from './commands/members.command';
import { registerPipelinesCommand } from './commands/pipelines.command';
import { registerProjectsCommand } from './commands/projects.command';
import { registerRegistriesCommand } from './commands/registries.command';
import { registerRerunCommand } from './commands/rerun.command';
import { registerRetryCommand } from './commands/retry.command';
import { registerRunCommand } from './commands/run.command';
import { registerRunnersCommand } from './commands/runners.command';
import { registerRunsCommand } from './commands/runs.command';
import { registerSecretsCommand } from './commands/secrets.command';
import { registerShowCommand } from './commands/show.command';
import { registerTokensCommand } from './commands/tokens.command';
import { registerUsersCommand } from './commands/users.command';
import { registerValidateCommand } from './commands/validate.command';
import { registerWebhooksCommand } from './commands/webhooks.command';
import { CliContext } from './context';
import { CliError, ExitCode } from './errors';
import { cliVersion } from './version';

const EXIT_CODES_HELP = `
Environment:
  KILN_SERVER, KILN_TOKEN   override the server and token stored by \`kiln login\`
  XDG_CONFIG_HOME           where kiln/config.json is kept (default ~/.config)
  NO_COLOR, FORCE_COLOR     turn colours off or on

Exit codes:
  0  success
  1  the run failed or was cancelled, or the definition is invalid
  2  usage error (unknown command, bad option or argument)
  3  server or authentication error (unreachable, token refused, error answer)
`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kiln')
    .description('Kiln CI/CD from the terminal: trigger runs, follow logs, fetch artifacts.')
    .version(cliVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) => write(`kiln: ${text}`),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  registerLoginCommands(program, ctx);
  registerProjectsCommand(program, ctx);
  registerPipelinesCommand(program, ctx);
  registerValidateCommand(program, ctx);
  registerRunCommand(program, ctx);
  registerRunsCommand(program, ctx);
  registerSecretsCommand(program, ctx);
  registerHookCommand(program, ctx);
  registerMembersCommand(program, ctx);
  registerTokensCommand(program, ctx);
  registerUsersCommand(program, ctx);
  registerWebhooksCommand(program, ctx);
  registerRegistriesCommand(program, ctx);
  registerShowCommand(program, ctx);
  registerLogsCommand(program, ctx);
  registerCancelCommand(program, ctx);
  registerRetryCommand(program, ctx);
  registerRerunCommand(program, ctx);
  registerApprovalCommands(program, ctx);
  registerArtifactsCommand(program, ctx);
  registerRunnersCommand(program, ctx);
  return program;
}

/** Runs one command line and answers the exit code; every failure is reported in one line. */
export async function runCli(argv: string[], ctx = new CliContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its own message (or the help/version asked for).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      ctx.stderr.write(`kiln: error: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
