import { Command } from 'commander';
import { resolveProject } from '../api/references';
import { Page, RegistryCredential } from '@kiln/api-wire';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { readStdin } from './stdin';
import { JSON_HELP } from './options';

/** Credentials for container registries a project's steps pull from or push to. */
export function registerRegistriesCommand(program: Command, ctx: CliContext): void {
  const registries = program
    .command('registries')
    .description("list, set or delete a project's registry credentials");
  registries
    .command('list <project>', { isDefault: true })
    .description('registry hosts and usernames (passwords are never shown)')
    .option('--json', JSON_HELP)
    .action(async (ref: string, options: { json?: boolean }) => {
      const project = await resolveProject(ctx.client(), ref);
      const page = await ctx.client().get<Page<RegistryCredential>>(`/api/projects/${project.id}/registries`);
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print(`No registry credentials in ${project.name}.`);
      ctx.print(
        renderTable(page.items, [
          { header: 'SERVER', value: (r) => r.server },
          { header: 'USERNAME', value: (r) => r.username },
          { header: 'UPDATED', value: (r) => formatAgo(r.updated_at) },
        ]),
      );
    });
  registries
    .command('set <project> <server>')
    .description('create or replace the credentials for a registry host; the password is read from stdin unless --password is given')
    .requiredOption('--username <username>', 'the registry username')
    .option('--password <password>', 'the password or token (visible in shell history: prefer stdin)')
    .option('--json', 'print the credential (without its password) as JSON')
    .action(async (ref: string, server: string, options: { username: string; password?: string; json?: boolean }) => {
      const password = options.password ?? (await readStdin()).replace(/\r?\n$/, '');
      if (!password) throw new UsageError('the password is empty: pipe it in or give --password');
      const project = await resolveProject(ctx.client(), ref);
      const credential = await ctx
        .client()
        .put<RegistryCredential>(`/api/projects/${project.id}/registries/${encodeURIComponent(server)}`, {
          username: options.username,
          password,
        });
      if (options.json) return ctx.json(credential);
      ctx.print(`Set credentials for ${credential.server} (${credential.username}) in ${project.name}`);
    });
  registries
    .command('delete <project> <server>')
    .description('delete the credentials for a registry host')
    .action(async (ref: string, server: string) => {
      const project = await resolveProject(ctx.client(), ref);
      await ctx.client().delete(`/api/projects/${project.id}/registries/${encodeURIComponent(server)}`);
      ctx.print(`Deleted credentials for ${server} from ${project.name}`);
    });
}
