import { Command } from 'commander';
import { findPipeline, resolveProject, splitPipelineRef } from '../api/references';
import { Pipeline } from '@kiln/api-wire';
import { CliContext } from '../context';
import { FailedError, ServerError, UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { colors } from '../output/style';
import { renderTable } from '../output/table';
import { readDefinitionFile } from '../validate/definition-file';
import { renderProblems } from '../validate/problem-report';
import { JSON_HELP, PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface ListOptions {
  project?: string;
  json?: boolean;
}

interface ApplyOptions {
  file: string;
  project?: string;
  name?: string;
  description?: string;
  json?: boolean;
}

export function registerPipelinesCommand(program: Command, ctx: CliContext): void {
  const pipelines = program
    .command('pipelines')
    .description("list a project's pipelines or apply a definition");
  pipelines
    .command('list', { isDefault: true })
    .description("list a project's pipelines")
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('--json', JSON_HELP)
    .action((options: ListOptions) => listPipelines(ctx, options));
  pipelines
    .command('apply [pipeline]')
    .description('create or update a pipeline from a definition file (pipeline: <project>/<name>)')
    .requiredOption('-f, --file <file>', 'the definition, e.g. .platform.yaml')
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('-n, --name <name>', 'pipeline name (default: "default")')
    .option('-d, --description <text>', 'description shown in listings')
    .option('--json', 'print the pipeline as JSON')
    .action((ref: string | undefined, options: ApplyOptions) => applyPipeline(ctx, ref, options));
}

async function listPipelines(ctx: CliContext, options: ListOptions): Promise<void> {
  const projectRef = projectFrom(options, ctx.env);
  if (!projectRef) throw new UsageError('which project? add --project <name> (or set KILN_PROJECT)');
  const client = ctx.client();
  const project = await resolveProject(client, projectRef);
  const items = await client.all<Pipeline>(`/api/projects/${project.id}/pipelines`);
  if (options.json) return ctx.json({ items, next_cursor: null });
  if (!items.length)
    return ctx.print(
      `No pipelines in ${project.name}: add one with \`kiln pipelines apply -f .platform.yaml\`.`,
    );
  ctx.print(
    renderTable(items, [
      { header: 'NAME', value: (p) => colors.bold(p.name) },
      {
        header: 'SOURCE',
        value: (p) => (p.yaml_config ? 'inline' : `repo:${p.config_path ?? '.platform.yaml'}`),
      },
      { header: 'DESCRIPTION', value: (p) => p.description ?? '' },
      { header: 'UPDATED', value: (p) => formatAgo(p.updated_at ?? p.created_at) },
      { header: 'ID', value: (p) => colors.dim(p.id) },
    ]),
  );
}

async function applyPipeline(ctx: CliContext, ref: string | undefined, options: ApplyOptions): Promise<void> {
  const target = ref
    ? splitPipelineRef(ref, projectFrom(options, ctx.env))
    : { project: projectFrom(options, ctx.env), pipeline: options.name ?? 'default' };
  if (!target.project) throw new UsageError('which project? give <project>/<pipeline> or --project');
  if (ref && options.name)
    throw new UsageError('give the pipeline as <project>/<name> or with --name, not both');
  const source = readDefinitionFile(options.file);
  // The server runs the same validation; checking first gives the same errors without a round trip.
  const { parseDefinition } = await import('@kiln/definition');
  const parsed = parseDefinition(source, { filename: options.file });
  if (!parsed.ok) {
    ctx.note(renderProblems(options.file, source, parsed.errors));
    throw new FailedError(`${options.file} is not a valid definition (${parsed.errors.length} problem(s))`);
  }
  const client = ctx.client();
  const project = await resolveProject(client, target.project);
  const existing = await findPipeline(client, project, target.pipeline);
  const body = { yaml_config: source, ...(options.description ? { description: options.description } : {}) };
  let pipeline: Pipeline;
  try {
    pipeline = existing
      ? await client.put<Pipeline>(`/api/projects/${project.id}/pipelines/${existing.id}`, body)
      : await client.post<Pipeline>(`/api/projects/${project.id}/pipelines`, {
          name: target.pipeline,
          ...body,
        });
  } catch (error) {
    const positioned = error instanceof ServerError ? error.problems().filter((p) => p.line) : [];
    if (positioned.length) ctx.note(renderProblems(options.file, source, positioned));
    throw error;
  }
  if (options.json) return ctx.json(pipeline);
  const steps = parsed.definition.steps.map((s) => s.name).join(', ');
  ctx.print(
    `${existing ? 'Updated' : 'Created'} pipeline ${colors.bold(`${project.name}/${pipeline.name}`)} (${steps})`,
  );
}
