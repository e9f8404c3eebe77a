import { ApiClient } from '../api/api-client';
import { runPath } from '../api/references';
import { isTerminal, Project, Run } from '@kiln/api-wire';
import { CliContext } from '../context';
import { FailedError, ServerError } from '../errors';
import { colors } from '../output/style';
import { RunFollower, sleep } from './run-follower';
import { renderRunSummary, runTitle } from './run-summary';

const CREATE_WAIT_MS = 30_000;

/**
 * `kiln run` and `kiln retry -f`: shows every step's log live, prefixed and coloured, then a
 * summary, and fails (exit 1) unless the run succeeded. `json` waits silently and prints the run.
 */
export async function followToEnd(
  ctx: CliContext,
  project: Project,
  accepted: Run,
  options: { json: boolean; pipelineName?: string },
): Promise<void> {
  const client = ctx.client();
  const run = await waitForRun(client, project, accepted.id);
  const json = options.json;
  const detach = () => {
    ctx.note(
      `\nkiln: detached; run #${run.number} goes on (stop it with: kiln cancel ${project.name}/${run.number})`,
    );
    process.exit(130);
  };
  process.once('SIGINT', detach);
  try {
    let final: Run;
    if (json) {
      final = await waitForEnd(client, project, run);
      ctx.json(final);
    } else {
      ctx.note(
        `${colors.cyan('▶')} ${runTitle(run, project.name, options.pipelineName)} ${colors.dim(run.id)}`,
      );
      final = await new RunFollower(client, project, run, {
        follow: true,
        prefix: true,
        write: (t) => ctx.write(t),
      }).start();
      ctx.print(renderRunSummary(final));
    }
    if (final.status !== 'succeeded') {
      throw new FailedError(`run #${final.number} ${final.status}${final.error ? `: ${final.error}` : ''}`);
    }
  } finally {
    process.removeListener('SIGINT', detach);
  }
}

async function waitForEnd(client: ApiClient, project: Project, run: Run): Promise<Run> {
  let current = run;
  while (!isTerminal(current.status)) {
    await sleep(1000);
    current = await client.get<Run>(runPath(project.id, run.id));
  }
  return current;
}

/** The gateway may answer before the scheduler has written the run: wait for it to appear. */
async function waitForRun(client: ApiClient, project: Project, runId: string): Promise<Run> {
  const deadline = Date.now() + CREATE_WAIT_MS;
  for (;;) {
    try {
      return await client.get<Run>(runPath(project.id, runId));
    } catch (error) {
      if (!(error instanceof ServerError && error.status === 404) || Date.now() > deadline) throw error;
    }
    await sleep(300);
  }
}
