import { RUN_STATUSES } from '@kiln/engine';
import { Command } from 'commander';
import { ApiClient } from '../api/api-client';
import { isUuid, resolveProject } from '../api/references';
import { Page, Pipeline, Project, Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { elapsed, formatAgo, formatDuration, shortSha } from '../output/format';
import { colors, paintStatus } from '../output/style';
import { renderTable } from '../output/table';
import { intBetween, isoDate, JSON_HELP, oneOf, PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

const TRIGGERS = ['manual', 'webhook', 'schedule', 'retry'];

interface RunsOptions {
  project?: string;
  pipeline?: string;
  status?: string;
  ref?: string;
  branch?: string;
  trigger?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
  json?: boolean;
}

export function registerRunsCommand(program: Command, ctx: CliContext): void {
  program
    .command('runs')
    .description('list runs, newest first (all visible projects unless --project)')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('--pipeline <pipeline>', 'only this pipeline (name or id)')
    .option('-s, --status <status>', RUN_STATUSES.join(', '), oneOf(RUN_STATUSES))
    .option('-r, --ref <ref>', 'only this git ref (as requested, or its branch or tag)')
    .option('-b, --branch <branch>', 'only runs of this branch')
    .option('-t, --trigger <trigger>', TRIGGERS.join(', '), oneOf(TRIGGERS))
    .option('--since <date>', 'created at or after this date', isoDate)
    .option('--until <date>', 'created before this date', isoDate)
    .option('-n, --limit <n>', 'how many runs (1-100)', intBetween(1, 100), 20)
    .option('--cursor <cursor>', 'next_cursor of a previous listing')
    .option('--json', JSON_HELP)
    .action((options: RunsOptions) => listRuns(ctx, options));
}

async function listRuns(ctx: CliContext, options: RunsOptions): Promise<void> {
  const client = ctx.client();
  const projectRef = projectFrom(options, ctx.env);
  const project = projectRef ? await resolveProject(client, projectRef) : undefined;
  const page = await client.get<Page<Run>>(project ? `/api/projects/${project.id}/runs` : '/api/runs', {
    status: options.status,
    ref: options.ref,
    branch: options.branch,
    trigger: options.trigger,
    ...(options.pipeline && isUuid(options.pipeline)
      ? { pipeline_id: options.pipeline }
      : { pipeline: options.pipeline }),
    created_from: options.since,
    created_to: options.until,
    limit: options.limit,
    cursor: options.cursor,
  });
  if (options.json) return ctx.json(page);
  if (!page.items.length) return ctx.print('No runs match.');
  const projects = project ? undefined : await projectNames(client);
  const projectIds = project
    ? [project.id]
    : [...new Set(page.items.map((r) => r.project_id))];
  const names = await pipelineNames(client, projectIds);
  ctx.print(
    renderTable(page.items, [
      { header: 'RUN', value: (r) => colors.bold(runLabel(r, projects)), align: 'right' },
      {
        header: 'PIPELINE',
        value: (r) => names.get(r.pipeline_id) ?? r.pipeline_id.slice(0, 8),
      },
      { header: 'STATUS', value: (r) => paintStatus(r.status) },
      { header: 'TRIGGER', value: (r) => r.trigger },
      { header: 'REF', value: (r) => r.git_ref },
      { header: 'COMMIT', value: (r) => shortSha(r.commit_sha) },
      { header: 'CREATED', value: (r) => formatAgo(r.created_at) },
      {
        header: 'DURATION',
        value: (r) => formatDuration(elapsed(r.started_at, r.finished_at)),
        align: 'right',
      },
    ]),
  );
  if (page.next_cursor) ctx.note(colors.dim(`more: kiln runs --cursor ${page.next_cursor} (same filters)`));
}

/** Pipeline names of the listed runs' projects: runs carry pipeline ids only. */
async function pipelineNames(client: ApiClient, projectIds: string[]): Promise<Map<string, string>> {
  const lists = await Promise.all(
    projectIds.map((id) => client.all<Pipeline>(`/api/projects/${id}/pipelines`)),
  );
  return new Map(lists.flat().map((p) => [p.id, p.name]));
}

async function projectNames(client: ApiClient): Promise<Map<string, string>> {
  const projects = await client.all<Project>('/api/projects');
  return new Map(projects.map((p) => [p.id, p.name]));
}

/** `web/12` across projects (what `kiln show` accepts), `12` within one. */
function runLabel(run: Run, projects: Map<string, string> | undefined): string {
  if (!projects) return String(run.number);
  const name = projects.get(run.project_id);
  return name ? `${name}/${run.number}` : run.id;
}
