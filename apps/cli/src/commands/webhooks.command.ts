import { Command } from 'commander';
import { resolveProject } from '../api/references';
import { OutboundWebhook, Page } from '@kiln/api-wire';
import { CliContext } from '../context';
import { UsageError } from '../errors';
import { formatAgo } from '../output/format';
import { renderTable } from '../output/table';
import { collect, JSON_HELP, oneOf } from './options';

const EVENTS = ['build.success', 'build.failure'] as const;
const EVENT_HELP = `an event (${EVENTS.join(', ')}); repeat for several`;

interface AddOptions {
  event: string[];
  secret?: string;
  inactive?: boolean;
  json?: boolean;
}

interface UpdateOptions {
  url?: string;
  event?: string[];
  secret?: string;
  active?: boolean;
  json?: boolean;
}

/** Outbound webhooks: Kiln calls these URLs, HMAC-signed, when a run ends. */
export function registerWebhooksCommand(program: Command, ctx: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .description("list, add, change or delete a project's outbound webhooks");
  webhooks
    .command('list <project>', { isDefault: true })
    .description('the webhooks and how their last call went')
    .option('--json', JSON_HELP)
    .action(async (ref: string, options: { json?: boolean }) => {
      const project = await resolveProject(ctx.client(), ref);
      const page = await ctx.client().get<Page<OutboundWebhook>>(`/api/projects/${project.id}/webhooks`);
      if (options.json) return ctx.json(page);
      if (!page.items.length) return ctx.print(`No webhooks in ${project.name}.`);
      ctx.print(
        renderTable(page.items, [
          { header: 'ID', value: (w) => w.id },
          { header: 'URL', value: (w) => w.url },
          { header: 'EVENTS', value: (w) => w.events.join(',') },
          { header: 'ACTIVE', value: (w) => (w.active ? 'yes' : 'no') },
          { header: 'LAST', value: (w) => lastCall(w) },
        ]),
      );
    });
  webhooks
    .command('add <project> <url>')
    .description('add a webhook; without --secret one is generated and printed once')
    .requiredOption('--event <event>', EVENT_HELP, collect(oneOf(EVENTS)))
    .option('--secret <secret>', 'the HMAC-SHA256 signing secret (8-256 characters)')
    .option('--inactive', 'add it switched off')
    .option('--json', 'print the webhook as JSON')
    .action(async (ref: string, url: string, options: AddOptions) => {
      const project = await resolveProject(ctx.client(), ref);
      const hook = await ctx.client().post<OutboundWebhook>(`/api/projects/${project.id}/webhooks`, {
        url,
        events: options.event,
        ...(options.secret ? { secret: options.secret } : {}),
        ...(options.inactive ? { active: false } : {}),
      });
      if (options.json) return ctx.json(hook);
      ctx.print(`Added webhook ${hook.id} to ${project.name}: ${hook.url} on ${hook.events.join(', ')}`);
      if (hook.secret) {
        ctx.print(`Signing secret: ${hook.secret}`);
        ctx.note('The secret is shown only now: give it to the receiving end to check signatures.');
      }
    });
  webhooks
    .command('update <project> <id>')
    .description('change only the options given')
    .option('--url <url>', 'the new URL')
    .option('--event <event>', EVENT_HELP, collect(oneOf(EVENTS)))
    .option('--secret <secret>', 'a new signing secret')
    .option('--active', 'switch it on')
    .option('--no-active', 'switch it off')
    .option('--json', 'print the webhook as JSON')
    .action(async (ref: string, id: string, options: UpdateOptions) => {
      const body = {
        ...(options.url !== undefined ? { url: options.url } : {}),
        ...(options.event ? { events: options.event } : {}),
        ...(options.secret !== undefined ? { secret: options.secret } : {}),
        ...(options.active !== undefined ? { active: options.active } : {}),
      };
      if (!Object.keys(body).length)
        throw new UsageError('nothing to change: give --url, --event, --secret, --active or --no-active');
      const project = await resolveProject(ctx.client(), ref);
      const hook = await ctx
        .client()
        .patch<OutboundWebhook>(`/api/projects/${project.id}/webhooks/${encodeURIComponent(id)}`, body);
      if (options.json) return ctx.json(hook);
      ctx.print(`Updated webhook ${hook.id} (${Object.keys(body).join(', ')})`);
    });
  webhooks
    .command('delete <project> <id>')
    .description('delete a webhook')
    .action(async (ref: string, id: string) => {
      const project = await resolveProject(ctx.client(), ref);
      await ctx.client().delete(`/api/projects/${project.id}/webhooks/${encodeURIComponent(id)}`);
      ctx.print(`Deleted webhook ${id} from ${project.name}`);
    });
}

function lastCall(w: OutboundWebhook): string {
  if (!w.last_sent_at) return 'never called';
  const outcome = w.last_error ?? `HTTP ${w.last_status_code ?? '?'}`;
  return `${outcome}, ${formatAgo(w.last_sent_at)}`;
}
