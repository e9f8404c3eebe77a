import { Command } from 'commander';
import { Project } from '../api/wire';
import { CliContext } from '../context';
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
  json?: boolean;
}

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
    .option('--json', 'print the project as JSON')
    .action((name: string, options: CreateOptions) => createProject(ctx, name, options));
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
  const project = await ctx.client().post<Project>('/api/projects', {
    name,
    repo_url: options.repo,
    provider: options.provider,
    ...(options.branch ? { default_branch: options.branch } : {}),
  });
  if (options.json) return ctx.json(project);
  ctx.print(`Created project ${colors.bold(project.name)} (${project.id})`);
}
