/* A hostile tenant against a running platform: secrets through a fork's pull request, a signed
   body replayed under a new delivery id, and the artifact service's internal API without its
   token. Every refusal is a 4xx (or a failed step) with a sentence naming the reason; no answer
   is a 5xx; the platform is healthy afterwards. */
import {
  APP_NAMES,
  createGitRepo,
  githubHeaders,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
} from '@kiln/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

const SECRET = 'npm_Zx9-tenant/secret+value';
const BASE64_SECRET = Buffer.from(SECRET).toString('base64');
const DEFINITION = `pipeline:
  steps:
    - name: plain
      image: alpine
      commands: ['echo plain step']
    - name: uses-secret
      image: alpine
      environment: { TOKEN: "\${{ secrets.NPM_TOKEN }}" }
      commands: ['printf %s "$TOKEN" | base64']
  on:
    push: { branches: [main] }
    mr: { actions: [opened, synchronized] }
`;

describe('hostile tenant: secrets, replays and the internal API', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let project: { id: string };
  const fullName = `acme/probe-${randomUUID().slice(0, 8)}`;
  const webhookSecret = 'probe-webhook-secret';
  const statuses: number[] = [];

  beforeAll(async () => {
    platform = await startPlatform();
    repo = createGitRepo();
    repo.commit({ '.platform.yaml': DEFINITION });
    project = await platform.createProject({
      name: `probe-${randomUUID().slice(0, 8)}`,
      repo,
      fullName,
      webhookSecret,
    });
    const put = await platform.api('PUT', `/api/projects/${project.id}/secrets/NPM_TOKEN`, { value: SECRET });
    expect(put.status).toBeLessThan(300);
  }, 120_000);
  afterAll(() => platform?.stop());

  let prNumber = 0;
  /** A pull_request delivery whose head is `headRepo`; answers the body sent and the receiver's answer. */
  async function openPullRequest(headRepo: string, deliveryId = randomUUID(), body?: string) {
    const sha = repo.commit({ [`change-${randomUUID()}.txt`]: 'x' }, 'change', 'feature');
    prNumber++;
    const payload =
      body ??
      JSON.stringify({
        action: 'opened',
        number: prNumber,
        pull_request: {
          number: prNumber,
          head: { ref: 'feature', sha, repo: { full_name: headRepo } },
          base: { ref: 'main', repo: { full_name: fullName } },
        },
        repository: { id: 1, name: fullName.split('/')[1], full_name: fullName, clone_url: repo.url },
        sender: { login: 'mallory' },
      });
    const res = await fetch(`${platform.apps.url('webhook-receiver')}/webhooks/github`, {
      method: 'POST',
      headers: githubHeaders('pull_request', payload, webhookSecret, deliveryId),
      body: payload,
    });
    statuses.push(res.status);
    return {
      payload,
      status: res.status,
      answer: (await res.json()) as { delivery_record_id: string; replayed: boolean },
    };
  }

  const finished = (runId: string) => platform.waitForRun(project.id, runId, undefined, 90_000);
  const step = (run: RunJson, name: string) => run.steps.find((s) => s.name === name)!;

  it("runs a fork's pull request without the project's secrets and says why", async () => {
    const { status, answer } = await openPullRequest('mallory/probe-fork');
    expect(status).toBe(202);

    const run = (await finished(await platform.runOfDelivery(answer.delivery_record_id))) as RunJson & {
      from_fork: boolean;
      secrets_withheld: string | null;
    };
    expect(run).toMatchObject({ status: 'failed', from_fork: true });
    expect(run.secrets_withheld).toMatch(/fork.*secrets_for_forks is off/);
    expect(step(run, 'plain').status).toBe('succeeded');
    expect(step(run, 'uses-secret').status).toBe('failed');
    expect(step(run, 'uses-secret').error).toMatch(
      /^secrets withheld \(NPM_TOKEN\): the pull request comes from a fork/,
    );
  }, 120_000);

  it('gives a pull request from the same repository the secrets, masked in the log also when base64-encoded', async () => {
    const { answer } = await openPullRequest(fullName);

    const run = (await platform.waitForRun(
      project.id,
      await platform.runOfDelivery(answer.delivery_record_id),
      (r) =>
        ['succeeded', 'failed', 'cancelled'].includes(r.status) && r.steps.every((s) => s.log_ref !== null),
      90_000,
    )) as RunJson & { from_fork: boolean; secrets_withheld: string | null };
    expect(run).toMatchObject({ status: 'succeeded', from_fork: false, secrets_withheld: null });
    const log = await platform.stepLog(project.id, run, 'uses-secret');
    expect(log).toContain('***');
    expect(log).not.toContain(BASE64_SECRET.replace(/=+$/, ''));
  }, 120_000);

  it('answers the same signed body under a new delivery id as a replay and starts no second run', async () => {
    const first = await openPullRequest('mallory/probe-fork');
    await finished(await platform.runOfDelivery(first.answer.delivery_record_id));
    const runsBefore = await platform.query('SELECT id FROM runs WHERE project_id = $1', [project.id]);

    const resent = await openPullRequest('ignored', randomUUID(), first.payload);

    expect(resent.status).toBe(202);
    expect(resent.answer).toMatchObject({ replayed: true, delivery_record_id: first.answer.delivery_record_id });
    // Time for a second run request, had one been queued, to become a run.
    await new Promise((r) => setTimeout(r, 1000));
    const runsAfter = await platform.query('SELECT id FROM runs WHERE project_id = $1', [project.id]);
    expect(runsAfter).toHaveLength(runsBefore.length);
  }, 120_000);

  it("gives a fork's pull request the secrets once the project opts in", async () => {
    const patch = await platform.api('PATCH', `/api/projects/${project.id}`, { secrets_for_forks: true });
    expect(patch).toMatchObject({ status: 200, body: { secrets_for_forks: true } });

    const { answer } = await openPullRequest('mallory/probe-fork');

    const run = (await finished(await platform.runOfDelivery(answer.delivery_record_id))) as RunJson & {
      from_fork: boolean;
      secrets_withheld: string | null;
    };
    expect(run).toMatchObject({ status: 'succeeded', from_fork: true, secrets_withheld: null });
  }, 120_000);

  it('refuses internal artifact calls without the internal token, with the reason', async () => {
    const artifacts = platform.apps.url('artifact-service');
    const [run] = await platform.query<{ id: string }>('SELECT id FROM runs WHERE project_id = $1 LIMIT 1', [
      project.id,
    ]);
    const upload = await fetch(`${artifacts}/internal/artifacts/${run.id}/stolen?path=a.txt`, {
      method: 'PUT',
      headers: { 'x-project-id': project.id, 'x-kiln-internal-token': 'a-guessed-internal-token' },
      body: 'tampered',
    });
    const download = await fetch(`${artifacts}/internal/artifacts/${randomUUID()}/download`, {
      headers: { 'x-project-id': project.id },
    });
    statuses.push(upload.status, download.status);

    expect(upload.status).toBe(401);
    expect(((await upload.json()) as { message: string }).message).toContain(
      'X-Kiln-Internal-Token header is wrong',
    );
    expect(download.status).toBe(401);
    expect(((await download.json()) as { message: string }).message).toContain(
      'X-Kiln-Internal-Token header is required',
    );
  });

  it('does not start an artifact service without KILN_INTERNAL_TOKEN, naming the variable', async () => {
    const main = join(__dirname, '../../dist/apps/artifact-service/src/main.js');
    const env = {
      ...process.env,
      DATABASE_URL: platform.databaseUrl,
      KILN_ARTIFACT_PORT: '0',
      KILN_INTERNAL_TOKEN: '',
    };
    // Not spawnSync: a blocked event loop lets idle keep-alive connections of the next tests go stale.
    const started = await new Promise<{ status: number | null; stderr: string }>((done) => {
      execFile(process.execPath, [main], { env, encoding: 'utf8', timeout: 30_000 }, (error, _stdout, stderr) =>
        done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
      );
    });

    expect(started.status).toBe(78);
    expect(started.stderr).toContain('KILN_INTERNAL_TOKEN (unset)');
  });

  it('answered no probe with a 5xx and stays healthy', async () => {
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    for (const app of APP_NAMES)
      expect({ app, status: (await fetch(`${platform.apps.url(app)}/readyz`)).status }).toEqual({
        app,
        status: 200,
      });
  });
});
