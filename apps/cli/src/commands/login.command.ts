import { Command } from 'commander';
import { ApiClient } from '../api/api-client';
import { Me } from '@kiln/api-wire';
import { DEFAULT_SERVER, normalizeServer, readStoredConfig, writeStoredConfig } from '../config/cli-config';
import { promptSecret, readStdin } from '../config/prompt';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { colors } from '../output/style';

interface LoginOptions {
  server?: string;
  token?: string;
  tokenStdin?: boolean;
}

export function registerLoginCommands(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('check an API token against the server and store both (file mode 0600)')
    .option('-s, --server <url>', `server URL (default: $KILN_SERVER, the stored one, or ${DEFAULT_SERVER})`)
    .option('-t, --token <token>', 'API token (visible in process lists: prefer --token-stdin or the prompt)')
    .option('--token-stdin', 'read the token from standard input')
    .action((options: LoginOptions) => login(ctx, options));

  program
    .command('logout')
    .description('forget the stored token')
    .action(() => {
      const stored = readStoredConfig(ctx.configFile);
      writeStoredConfig({ server: stored.server }, ctx.configFile);
      ctx.print(`Logged out; the token was removed from ${ctx.configFile}`);
    });
}

async function login(ctx: CliContext, options: LoginOptions): Promise<void> {
  const stored = readStoredConfig(ctx.configFile);
  const server = normalizeServer(
    options.server ?? (ctx.env.KILN_SERVER?.trim() || stored.server || DEFAULT_SERVER),
  );
  const token = await tokenFrom(ctx, options);
  const me = await new ApiClient({ server, token }).get<Me>('/api/me');
  writeStoredConfig({ server, token }, ctx.configFile);
  const who = me.email ? `${me.name} <${me.email}>` : me.name;
  ctx.print(`Logged in to ${colors.bold(server)} as ${colors.bold(who)} (saved to ${ctx.configFile})`);
}

async function tokenFrom(ctx: CliContext, options: LoginOptions): Promise<string> {
  if (options.token && options.tokenStdin) throw new UsageError('give --token or --token-stdin, not both');
  const token = options.token
    ? options.token
    : options.tokenStdin
      ? await readStdin()
      : ctx.env.KILN_TOKEN?.trim() || (process.stdin.isTTY ? await promptSecret('API token: ') : '');
  if (!token) throw new UsageError('no token: pass --token-stdin, --token or run `kiln login` in a terminal');
  if (/\s/.test(token)) throw new UsageError('the token contains white space; copy it again');
  return token;
}
