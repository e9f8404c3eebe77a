import { Command } from 'commander';
import { resolveProject } from '../api/references';
import { Page, Secret } from '@kiln/api-wire';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { JSON_HELP } from './options';
import { readStdin } from './stdin';

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A project's secrets: names only come back; values go in from stdin or an option. */
export function registerSecretsCommand(program: Command, ctx: CliContext): void {
  const secrets = program.command('secrets').description("list, set or delete a project's secrets");
  secrets
    .command('list <project>', { isDefault: true })
    .description('the names of the secrets (values are never shown)')
    .option('--json', JSON_HELP)
    .action(async (ref: string, options: { json?: boolean }) => {
      const project = await resolveProject(ctx.client(), ref);
      const page = await ctx.client().get<Page<Secret>>(`/api/projects/${project.id}/secrets`);
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print(`No secrets in ${project.name}.`);
      ctx.print(
        renderTable(page.items, [
          { header: 'NAME', value: (s) => s.name },
          { header: 'UPDATED', value: (s) => formatAgo(s.updated_at) },
        ]),
      );
    });
  secrets
    .command('set <project> <name>')
    .description('create or replace a secret; the value is read from stdin unless --value is given')
    .option('--value <value>', 'the value (visible in shell history: prefer stdin)')
    .action(async (ref: string, name: string, options: { value?: string }) => {
      if (!SECRET_NAME.test(name))
        throw new UsageError(
          `secret name "${name}" must be letters, digits and "_", not starting with a digit`,
        );
      const value = options.value ?? (await readStdin()).replace(/\r?\n$/, '');
      if (!value) throw new UsageError('the secret value is empty: pipe it in or give --value');
      const project = await resolveProject(ctx.client(), ref);
      await ctx.client().put(`/api/projects/${project.id}/secrets/${name}`, { value });
      ctx.print(`Set secret ${name} in ${project.name}`);
    });
  secrets
    .command('delete <project> <name>')
    .description('delete a secret')
    .action(async (ref: string, name: string) => {
      const project = await resolveProject(ctx.client(), ref);
      await ctx.client().delete(`/api/projects/${project.id}/secrets/${encodeURIComponent(name)}`);
      ctx.print(`Deleted secret ${name} from ${project.name}`);
    });
}
