import { Command } from 'commander';
import { isUuid, resolveProject, resolveUserId } from '../api/references';
import { ApiClient } from '../api/api-client';
import { Member, Page } from '@kiln/api-wire';
import { CliContext } from '../context';
import { ServerError } from '../errors';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { JSON_HELP, oneOf } from './options';

const ROLES = ['read', 'write', 'admin'] as const;
const ROLE_HELP = `the role: ${ROLES.join(', ')}`;

/** A project's members and their roles. */
export function registerMembersCommand(program: Command, ctx: CliContext): void {
  const members = program.command('members').description("list, add, change or remove a project's members");
  members
    .command('list <project>', { isDefault: true })
    .description('the members and their roles')
    .option('--json', JSON_HELP)
    .action(async (ref: string, options: { json?: boolean }) => {
      const project = await resolveProject(ctx.client(), ref);
      const page = await ctx.client().get<Page<Member>>(`/api/projects/${project.id}/members`);
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print(`No members in ${project.name}.`);
      ctx.print(
        renderTable(page.items, [
          { header: 'USER', value: (m) => m.user_id },
          { header: 'NAME', value: (m) => m.name },
          { header: 'EMAIL', value: (m) => m.email },
          { header: 'ROLE', value: (m) => m.role },
          { header: 'ADDED', value: (m) => formatAgo(m.created_at) },
        ]),
      );
    });
  members
    .command('add <project> <user>')
    .description('add a user (id, or email as platform admins see it) with a role')
    .requiredOption('--role <role>', ROLE_HELP, oneOf(ROLES))
    .option('--json', 'print the membership as JSON')
    .action(async (ref: string, userRef: string, options: { role: string; json?: boolean }) => {
      const client = ctx.client();
      const project = await resolveProject(client, ref);
      const userId = await resolveUserId(client, userRef);
      const member = await client.post<Member>(`/api/projects/${project.id}/members`, {
        user_id: userId,
        role: options.role,
      });
      if (options.json) return ctx.json(member);
      ctx.print(`Added ${member.name} <${member.email}> to ${project.name} as ${member.role}`);
    });
  members
    .command('set-role <project> <user>')
    .description("change a member's role")
    .requiredOption('--role <role>', ROLE_HELP, oneOf(ROLES))
    .option('--json', 'print the membership as JSON')
    .action(async (ref: string, userRef: string, options: { role: string; json?: boolean }) => {
      const client = ctx.client();
      const project = await resolveProject(client, ref);
      const userId = await resolveMemberId(client, project.id, userRef);
      const member = await client.patch<Member>(`/api/projects/${project.id}/members/${userId}`, {
        role: options.role,
      });
      if (options.json) return ctx.json(member);
      ctx.print(`${member.name} is now ${member.role} in ${project.name}`);
    });
  members
    .command('remove <project> <user>')
    .description('remove a member')
    .action(async (ref: string, userRef: string) => {
      const client = ctx.client();
      const project = await resolveProject(client, ref);
      const userId = await resolveMemberId(client, project.id, userRef);
      await client.delete(`/api/projects/${project.id}/members/${userId}`);
      ctx.print(`Removed ${userRef} from ${project.name}`);
    });
}

/** A member by user id or email, from the project's own member list (no admin needed). */
async function resolveMemberId(client: ApiClient, projectId: string, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const page = await client.get<Page<Member>>(`/api/projects/${projectId}/members`);
  const found = page.items.find((m) => m.email === ref.toLowerCase());
  if (!found) throw new ServerError(`${ref} is not a member of this project`, 404);
  return found.user_id;
}
