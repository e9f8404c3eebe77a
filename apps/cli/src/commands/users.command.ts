import { Command } from 'commander';
import { resolveUserId } from '../api/references';
import { CreatedUser, User } from '@kiln/api-wire';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { JSON_HELP } from './options';

interface UpdateOptions {
  name?: string;
  email?: string;
  enable?: boolean;
  json?: boolean;
}

/** Platform users (platform admins only): a user is named by id or email. */
export function registerUsersCommand(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('list, create, show, change, disable or delete users (platform admins)');
  users
    .command('list', { isDefault: true })
    .description('every user')
    .option('--json', JSON_HELP)
    .action(async (options: { json?: boolean }) => {
      const items = await ctx.client().all<User>('/api/users');
      if (options.json) return ctx.json({ items, next_cursor: null });
      if (!items.length) return ctx.print('No users.');
      ctx.print(
        renderTable(items, [
          { header: 'ID', value: (u) => u.id },
          { header: 'NAME', value: (u) => u.name },
          { header: 'EMAIL', value: (u) => u.email },
          { header: 'ADMIN', value: (u) => (u.is_admin ? 'yes' : 'no') },
          { header: 'STATE', value: (u) => (u.disabled ? 'disabled' : 'active') },
          { header: 'CREATED', value: (u) => formatAgo(u.created_at) },
        ]),
      );
    });
  users
    .command('create <name> <email>')
    .description('create a user with a first API token, printed once')
    .option('--admin', 'a platform admin (sees every project)')
    .option('--json', 'print the user and its token as JSON')
    .action(async (name: string, email: string, options: { admin?: boolean; json?: boolean }) => {
      const user = await ctx.client().post<CreatedUser>('/api/users', {
        name,
        email,
        ...(options.admin ? { is_admin: true } : {}),
      });
      if (options.json) return ctx.json(user);
      ctx.print(`Created user ${user.name} <${user.email}> (${user.id})`);
      ctx.print(`Token: ${user.token}`);
      ctx.note('The token is shown only now: hand it to the user.');
    });
  users
    .command('show <user>')
    .description('one user')
    .option('--json', 'print the user as JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = ctx.client();
      const user = await client.get<User>(`/api/users/${await resolveUserId(client, ref)}`);
      if (options.json) return ctx.json(user);
      printUser(ctx, user);
    });
  users
    .command('update <user>')
    .description("change a user's name or email, or enable a disabled user")
    .option('--name <name>', 'the new name')
    .option('--email <email>', 'the new email address')
    .option('--enable', 'let a disabled user sign in with new tokens again')
    .option('--json', 'print the user as JSON')
    .action((ref: string, options: UpdateOptions) => {
      const body = {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.email !== undefined ? { email: options.email } : {}),
        ...(options.enable ? { disabled: false } : {}),
      };
      if (!Object.keys(body).length) throw new UsageError('nothing to change: give --name, --email or --enable');
      return update(ctx, ref, body, options.json);
    });
  users
    .command('disable <user>')
    .description('disable a user: every token of theirs stops working at once')
    .option('--json', 'print the user as JSON')
    .action((ref: string, options: { json?: boolean }) => update(ctx, ref, { disabled: true }, options.json));
  users
    .command('delete <user>')
    .description('delete a user with their tokens and memberships')
    .action(async (ref: string) => {
      const client = ctx.client();
      await client.delete(`/api/users/${await resolveUserId(client, ref)}`);
      ctx.print(`Deleted user ${ref}`);
    });
}

async function update(ctx: CliContext, ref: string, body: Record<string, unknown>, json?: boolean): Promise<void> {
  const client = ctx.client();
  const user = await client.patch<User>(`/api/users/${await resolveUserId(client, ref)}`, body);
  if (json) return ctx.json(user);
  ctx.print(`Updated user ${user.name} <${user.email}> (${Object.keys(body).join(', ')})`);
  if (body.disabled === true) ctx.note('Their tokens are revoked.');
}

function printUser(ctx: CliContext, user: User): void {
  ctx.print(`User:    ${user.name} <${user.email}>`);
  ctx.print(`ID:      ${user.id}`);
  ctx.print(`Admin:   ${user.is_admin ? 'yes' : 'no'}`);
  ctx.print(`State:   ${user.disabled ? 'disabled' : 'active'}`);
  ctx.print(`Created: ${user.created_at} (${formatAgo(user.created_at)})`);
}
