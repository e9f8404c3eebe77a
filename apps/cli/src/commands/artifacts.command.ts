import { Command } from 'commander';
import { resolveRun, runPath } from '../api/references';
import { Artifact, Page } from '@kiln/api-wire';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { downloadArtifacts } from '../download/artifact-download';
import { formatAgo, formatBytes } from '../output/format';
import { colors } from '../output/style';
import { renderTable } from '../output/table';
import { JSON_HELP, PROJECT_FLAGS, PROJECT_HELP, projectFrom } from './options';

interface ArtifactsOptions {
  project?: string;
  download?: string;
  output?: string;
  json?: boolean;
}

export function registerArtifactsCommand(program: Command, ctx: CliContext): void {
  program
    .command('artifacts <run>')
    .description("list a run's artifacts, or download one (every file under its name)")
    .option(PROJECT_FLAGS, PROJECT_HELP)
    .option('-d, --download <name>', 'download the artifact with this name (or id)')
    .option('-o, --output <dir>', 'where to write the files (default: ./<name>)')
    .option('--json', JSON_HELP)
    .action((ref: string, options: ArtifactsOptions) => artifacts(ctx, ref, options));
}

async function artifacts(ctx: CliContext, ref: string, options: ArtifactsOptions): Promise<void> {
  const client = ctx.client();
  const { project, run } = await resolveRun(client, ref, projectFrom(options, ctx.env));
  const answer = await client.get<Page<Artifact> | Artifact[]>(`${runPath(project.id, run.id)}/artifacts`);
  const items = Array.isArray(answer) ? answer : answer.items;
  if (options.download) {
    const wanted = items.filter((a) => a.name === options.download || a.id === options.download);
    if (!wanted.length) {
      const names = [...new Set(items.map((a) => a.name))].join(', ') || 'none';
      throw new UsageError(`run #${run.number} has no artifact "${options.download}" (artifacts: ${names})`);
    }
    const dir = options.output ?? wanted[0].name;
    const result = await downloadArtifacts(client, project.id, run.id, wanted, dir, ctx.stderr);
    if (options.json) return ctx.json(result);
    return ctx.print(
      `Downloaded ${wanted[0].name}: ${result.files.length} file(s), ${formatBytes(result.bytes)} to ${dir}`,
    );
  }
  if (options.json) return ctx.json({ items, next_cursor: null });
  if (!items.length) return ctx.print(`Run #${run.number} has no artifacts.`);
  ctx.print(
    renderTable(items, [
      { header: 'NAME', value: (a) => colors.bold(a.name) },
      { header: 'PATH', value: (a) => a.path },
      { header: 'SIZE', value: (a) => formatBytes(Number(a.size_bytes)), align: 'right' },
      { header: 'EXPIRES', value: (a) => (a.expires_at ? a.expires_at.slice(0, 10) : 'never') },
      { header: 'CREATED', value: (a) => formatAgo(a.created_at) },
      { header: 'ID', value: (a) => colors.dim(a.id) },
    ]),
  );
}
