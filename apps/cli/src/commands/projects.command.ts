import { Command } from 'commander';
import { CreatedProject, Project } from '@kiln/api-wire';
import { resolveProject } from '../api/references';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { colors } from '../output/style';
import { renderTable } from '../output/table';
import { JSON_HELP, oneOf } from './options';

interface ListOptions {
  sort: 'activity' | 'name';
  json?: boolean;
}

interface CreateOptions {
  repo: string;
  provider: string;
  branch?: string;
  webhookSecret?: string;
  repoFullName?: string;
  json?: boolean;
}

type UpdateOptions = Partial<CreateOptions> & { name?: string };

export function registerProjectsCommand(program: Command, ctx: CliContext): void {
  const projects = program.command('projects').description('list or create projects');
  projects
    .command('list', { isDefault: true })
    .description('list the projects this token can see')
    .option('--sort <order>', 'activity (most recent first) or name', oneOf(['activity', 'name']), 'activity')
    .option('--json', JSON_HELP)
    .action((options: ListOptions) => listProjects(ctx, options));
  projects
    .command('create <name>')
    .description('create a project for a repository')
    .requiredOption('-r, --repo <url>', 'repository URL git can clone')
    .option('--provider <provider>', 'github, gitlab or git', oneOf(['github', 'gitlab', 'git']), 'git')
    .option('-b, --branch <branch>', 'default branch')
    .option(
      '--webhook-secret <secret>',
      'the secret the provider signs webhooks with (generated when omitted)',
    )
    .option('--repo-full-name <owner/name>', "the repository's name at the provider (derived from --repo)")
    .option('--json', 'print the project as JSON')
    .action((name: string, options: CreateOptions) => createProject(ctx, name, options));
  projects
    .command('update <project>')
    .description('change a project (name or id): only the options given change')
    .option('--name <name>', 'new name')
    .option('-r, --repo <url>', 'repository URL git can clone')
    .option('--provider <provider>', 'github, gitlab or git', oneOf(['github', 'gitlab', 'git']))
    .option('-b, --branch <branch>', 'default branch')
    .option('--webhook-secret <secret>', 'a new webhook secret (set the same at the provider)')
    .option('--repo-full-name <owner/name>', "the repository's name at the provider")
    .option('--json', 'print the project as JSON')
    .action((ref: string, options: UpdateOptions) => updateProject(ctx, ref, options));
}

/** The API's body from the command line's options (only those given). */
function projectFields(options: UpdateOptions): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    name: options.name,
    repo_url: options.repo,
    provider: options.provider,
    default_branch: options.branch,
    webhook_secret: options.webhookSecret,
    repo_full_name: options.repoFullName,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

async function listProjects(ctx: CliContext, options: ListOptions): Promise<void> {
  const items = sortProjects(await ctx.client().all<Project>('/api/projects'), options.sort);
  if (options.json) return ctx.json({ items, next_cursor: null });
  if (!items.length)
    return ctx.print('No projects yet: create one with `kiln projects create <name> --repo <url>`.');
  ctx.print(
    renderTable(items, [
      { header: 'NAME', value: (p) => colors.bold(p.name) },
      { header: 'PROVIDER', value: (p) => p.provider },
      { header: 'REPOSITORY', value: (p) => p.repo_url },
      { header: 'BRANCH', value: (p) => p.default_branch ?? '-' },
      { header: 'ACTIVITY', value: (p) => formatAgo(p.last_activity_at) },
      { header: 'ID', value: (p) => colors.dim(p.id) },
    ]),
  );
}

export function sortProjects(items: Project[], order: 'activity' | 'name'): Project[] {
  const byName = (a: Project, b: Project) => a.name.localeCompare(b.name);
  if (order === 'name') return [...items].sort(byName);
  const activity = (p: Project) => Date.parse(p.last_activity_at ?? p.created_at ?? '') || 0;
  return [...items].sort((a, b) => activity(b) - activity(a) || byName(a, b));
}

async function createProject(ctx: CliContext, name: string, options: CreateOptions): Promise<void> {
  const project = await ctx.client().post<CreatedProject>('/api/projects', { ...projectFields(options), name });
  if (options.json) return ctx.json(project);
  ctx.print(`Created project ${colors.bold(project.name)} (${project.id})`);
  if (project.repo_full_name) ctx.print(`Repository:     ${project.repo_full_name}`);
  if (project.webhook_secret) {
    ctx.print(`Webhook secret: ${project.webhook_secret}`);
    ctx.note(
      'The webhook secret is shown only now: set it at the provider (or pass --webhook-secret next time).',
    );
  }
}

async function updateProject(ctx: CliContext, ref: string, options: UpdateOptions): Promise<void> {
  const body = projectFields(options);
  if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one option');
  const client = ctx.client();
  const current = await resolveProject(client, ref);
  const project = await client.patch<Project>(`/api/projects/${current.id}`, body);
  if (options.json) return ctx.json(project);
  ctx.print(`Updated project ${colors.bold(project.name)} (${Object.keys(body).join(', ')})`);
}
