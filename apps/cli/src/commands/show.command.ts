import { Command } from 'commander';
import { resolveRun } from '../api/references';
import { Pipeline, Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { elapsed, formatDuration, shortSha } from '../output/format';
import { colors, paintStatus, statusIcon } from '../output/style';
import { renderTable } from '../output/table';
import { formatTestSummary } from '../output/test-summary';
import { PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

export function registerShowCommand(program: Command, ctx: CliContext): void {
  program
    .command('show <run>')
    .description('a run and its steps (run: id, <project>/<number>, or <number> with --project)')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('--json', 'print the run as JSON')
    .action((ref: string, options: { project?: string; json?: boolean }) => show(ctx, ref, options));
}

async function show(
  ctx: CliContext,
  ref: string,
  options: { project?: string; json?: boolean },
): Promise<void> {
  const client = ctx.client();
  const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
  if (options.json) return ctx.json(run);
  const pipeline = await client
    .get<Pipeline>(`/api/projects/${project.id}/pipelines/${run.pipeline_id}`)
    .catch(() => undefined);
  ctx.print(renderRunDetail(run, project.name, pipeline?.name ?? run.pipeline_id));
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

export function renderRunDetail(run: Run, projectName: string, pipelineName: string): string {
  const field = (label: string, value: string) => `${colors.dim(label.padEnd(10))} ${value}`;
  const head = [
    `${colors.bold(`Run #${run.number}`)}  ${statusIcon(run.status)} ${paintStatus(run.status)}`,
    field('pipeline', `${projectName}/${pipelineName}`),
    field('ref', `${run.git_ref}${run.commit_sha ? ` @ ${shortSha(run.commit_sha)}` : ''}`),
    ...(run.commit_message ? [field('commit', firstLine(run.commit_message))] : []),
    ...(run.commit_author ? [field('author', run.commit_author)] : []),
    ...(run.pull_request_url ? [field('pull req', run.pull_request_url)] : []),
    field('trigger', `${run.trigger} by ${run.triggered_by}`),
    field('created', run.created_at),
    field('duration', formatDuration(elapsed(run.started_at, run.finished_at))),
    field('id', run.id),
    ...(run.retry_of ? [field('retry of', run.retry_of)] : []),
    ...(run.error ? [field('error', colors.red(run.error))] : []),
    ...(run.test_summary ? [field('tests', formatTestSummary(run.test_summary))] : []),
  ];
  const steps = renderTable(run.steps ?? [], [
    { header: 'STEP', value: (s) => `${statusIcon(s.status)} ${s.name}` },
    { header: 'STATUS', value: (s) => paintStatus(s.status) },
    { header: 'EXIT', value: (s) => (s.exit_code === null ? '-' : String(s.exit_code)), align: 'right' },
    {
      header: 'DURATION',
      value: (s) => formatDuration(s.duration_ms ?? elapsed(s.started_at, s.finished_at)),
      align: 'right',
    },
    { header: 'NEEDS', value: (s) => s.depends_on.join(', ') || '-' },
    { header: 'NOTE', value: (s) => (s.error ? colors.dim(s.error) : '') },
  ]);
  const images = (run.steps ?? [])
    .filter((s) => s.image_digest)
    .map((s) => field(s.name, colors.dim(s.image_digest ?? '')));
  return `${head.join('\n')}\n\n${steps}${images.length > 0 ? `\n\n${images.join('\n')}` : ''}`;
}
