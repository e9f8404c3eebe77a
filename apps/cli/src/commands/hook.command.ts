import { Command } from 'commander';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveProject } from '../api/references';
import { Project } from '@kiln/api-wire';
import { CliContext } from '../context';
import { ServerError, UsageError } from '../errors';
import { samplePush } from '../hook/sample-push';
import { colors } from '../output/style';
import { shortSha } from '../output/format';

const run = promisify(execFile);
const SHA = /^[0-9a-f]{40}$/i;

interface HookTestOptions {
  secret?: string;
  branch?: string;
  sha?: string;
  url?: string;
  json?: boolean;
}

/** The webhook receiver's 202 body (only what is shown here). */
interface ReceiverAnswer {
  status?: string;
  reason?: string;
  message?: string;
  delivery_id?: string | null;
  replayed?: boolean;
  runs?: { pipeline_id: string; run_id: string; reason: string }[];
  pending_filter?: { pipeline_id: string; reason: string }[];
  skipped?: { pipeline_id: string; reason: string }[];
}

/** `kiln hook test`: checks a project's webhook wiring end to end with a signed sample push. */
export function registerHookCommand(program: Command, ctx: CliContext): void {
  const hook = program.command('hook').description("check a project's webhook wiring");
  hook
    .command('test <project>')
    .description(
      "send a signed sample push of the project's repository to the webhook receiver, as GitHub or GitLab would",
    )
    .option('--secret <secret>', 'the webhook secret (default: $KILN_WEBHOOK_SECRET; the API never returns it)')
    .option('--branch <branch>', 'the pushed branch (default: the project default branch)')
    .option('--sha <sha>', 'the pushed commit (default: the head of the branch, read with git ls-remote)')
    .option('--url <url>', "the webhook receiver's base URL (default: what GET /api/platform says)")
    .option('--json', "print the receiver's answer as JSON")
    .action(async (ref: string, options: HookTestOptions) => {
      const secret = options.secret ?? (ctx.env.KILN_WEBHOOK_SECRET?.trim() || undefined);
      if (!secret)
        throw new UsageError('the webhook secret is needed to sign: give --secret or set KILN_WEBHOOK_SECRET');
      if (options.sha !== undefined && !SHA.test(options.sha))
        throw new UsageError(`--sha "${options.sha}" is not a full 40-character commit id`);
      const client = ctx.client();
      const project = await resolveProject(client, ref);
      if (project.provider !== 'github' && project.provider !== 'gitlab')
        throw new UsageError(`project ${project.name} is a plain git repository: it receives no webhooks`);
      const branch = options.branch ?? project.default_branch ?? 'main';
      const sha = options.sha ?? (await headOf(project, branch));
      const base = options.url ?? (await client.get<{ webhook_url: string }>('/api/platform')).webhook_url;
      const url = `${base.replace(/\/+$/, '')}/webhooks/${project.provider}`;
      const delivery = samplePush({ project, branch, sha, secret, sender: 'kiln-hook-test' });
      const res = await send(url, delivery.headers, delivery.body);
      const answer = await readAnswer(res);
      if (res.status !== 202)
        throw new ServerError(
          `the webhook receiver answered ${res.status}: ${answer.message ?? answer.reason ?? res.statusText}`,
          res.status,
        );
      if (options.json) return ctx.json(answer);
      printAnswer(ctx, answer, `${branch} at ${shortSha(sha)}`, url, delivery.deliveryId);
    });
}

/** The commit a branch points at in the project's repository. */
async function headOf(project: Project, branch: string): Promise<string> {
  try {
    const { stdout } = await run('git', ['ls-remote', '--', project.repo_url, `refs/heads/${branch}`], {
      timeout: 20_000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    const sha = stdout.split(/\s/)[0];
    if (SHA.test(sha)) return sha;
    throw new UsageError(`branch ${branch} is not in ${project.repo_url}: give --branch or --sha`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`cannot read ${branch} from ${project.repo_url} (${reason}): give --sha`);
  }
}

async function send(url: string, headers: Record<string, string>, body: string): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new ServerError(`cannot reach the webhook receiver at ${url}: ${cause ?? String(error)}`);
  }
}

async function readAnswer(res: Response): Promise<ReceiverAnswer> {
  const text = await res.text();
  try {
    return JSON.parse(text) as ReceiverAnswer;
  } catch {
    return { message: text.trim().slice(0, 300) };
  }
}

function printAnswer(ctx: CliContext, answer: ReceiverAnswer, pushed: string, url: string, deliveryId: string): void {
  ctx.print(`Sent a signed push of ${pushed} to ${url} (delivery ${deliveryId})`);
  const status = answer.status === 'accepted' ? colors.green(answer.status) : colors.yellow(answer.status ?? '?');
  ctx.print(`Receiver answered 202 ${status}: ${answer.reason ?? ''}`);
  for (const r of answer.runs ?? []) ctx.print(`  run ${r.run_id} of pipeline ${r.pipeline_id}: ${r.reason}`);
  for (const p of answer.pending_filter ?? [])
    ctx.print(`  pipeline ${p.pipeline_id} runs if its filters match: ${p.reason} (see: kiln runs --pipeline ${p.pipeline_id})`);
  for (const s of answer.skipped ?? []) ctx.print(`  skipped pipeline ${s.pipeline_id}: ${s.reason}`);
}
