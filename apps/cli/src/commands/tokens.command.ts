import { Command } from 'commander';
import { CreatedToken, Page, Token } from '@kiln/api-wire';
import { CliContext } from '../context';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { collect, intBetween, JSON_HELP, oneOf } from './options';

const SCOPES = ['project:read', 'project:write'] as const;

interface CreateOptions {
  scope?: string[];
  expiresInDays?: number;
  json?: boolean;
}

/** The calling user's API tokens: values are shown once, at creation. */
export function registerTokensCommand(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('list, create or revoke your API tokens');
  tokens
    .command('list', { isDefault: true })
    .description('your tokens (never their values)')
    .option('--json', JSON_HELP)
    .action(async (options: { json?: boolean }) => {
      const page = await ctx.client().get<Page<Token>>('/api/tokens', { limit: 100 });
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print('No tokens.');
      ctx.print(
        renderTable(page.items, [
          { header: 'ID', value: (t) => t.id },
          { header: 'NAME', value: (t) => t.name },
          { header: 'PREFIX', value: (t) => t.prefix },
          { header: 'SCOPES', value: (t) => t.scopes.join(',') },
          { header: 'EXPIRES', value: (t) => t.expires_at?.slice(0, 10) ?? 'never' },
          { header: 'LAST USED', value: (t) => formatAgo(t.last_used_at) },
          { header: 'STATE', value: (t) => (t.revoked_at ? 'revoked' : 'active') },
        ]),
      );
    });
  tokens
    .command('create <name>')
    .description('create a token; its value is printed once')
    .option('--scope <scope>', `a scope (${SCOPES.join(', ')}); repeat for several`, collect(oneOf(SCOPES)))
    .option('--expires-in-days <days>', 'expire after this many days (1-3650)', intBetween(1, 3650))
    .option('--json', 'print the token as JSON (with its value)')
    .action(async (name: string, options: CreateOptions) => {
      const token = await ctx.client().post<CreatedToken>('/api/tokens', {
        name,
        ...(options.scope ? { scopes: options.scope } : {}),
        ...(options.expiresInDays ? { expires_in_days: options.expiresInDays } : {}),
      });
      if (options.json) return ctx.json(token);
      ctx.print(`Created token ${token.name} (${token.id}), scopes ${token.scopes.join(', ')}`);
      ctx.print(`Token: ${token.token}`);
      ctx.note('The token is shown only now: store it somewhere safe.');
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token (it stops working at once)')
    .action(async (id: string) => {
      await ctx.client().delete(`/api/tokens/${encodeURIComponent(id)}`);
      ctx.print(`Revoked token ${id}`);
    });
}
