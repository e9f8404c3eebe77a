import { Command } from 'commander';
import { Page, Runner } from '@kiln/api-wire';
import { CliContext } from '../context';
import { formatAgo } from '../output/format';
import { colors } from '../output/style';
import { renderTable } from '../output/table';
import { JSON_HELP } from './options';

export function registerRunnersCommand(program: Command, ctx: CliContext): void {
  program
    .command('runners')
    .description('the executors that run steps: backend, load, last heartbeat')
    .option('-a, --all', 'also runners silent for more than 30 s (seen in the last day)')
    .option('--json', JSON_HELP)
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const answer = await ctx.client().get<Page<Runner> | Runner[]>('/api/runners', { all: options.all });
      const page = Array.isArray(answer) ? { items: answer, next_cursor: null } : answer;
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print('No runners have reported in.');
      ctx.print(
        renderTable(page.items, [
          { header: 'ID', value: (r) => colors.bold(r.id) },
          { header: 'STATUS', value: (r) => runnerStatus(r) },
          { header: 'BACKEND', value: (r) => r.backend },
          { header: 'HOST', value: (r) => r.hostname ?? '-' },
          { header: 'RUNNING', value: (r) => `${r.running}/${r.capacity}`, align: 'right' },
          { header: 'LAST SEEN', value: (r) => formatAgo(r.last_heartbeat_at) },
          { header: 'VERSION', value: (r) => r.version ?? '-' },
        ]),
      );
    });
}

function runnerStatus(runner: Runner): string {
  return runner.online ? colors.green('online') : colors.yellow('offline');
}
