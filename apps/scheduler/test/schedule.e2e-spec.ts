import {
  createGitRepo,
  finishedWithLogs,
  githubPushPayload,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';

interface PipelineJson {
  id: string;
  schedule_cron: string | null;
  next_schedule_at: string | null;
}

const scheduled = (cron: string) => `pipeline:
  steps:
    - { name: nightly, image: node:20, commands: ["echo scheduled build of $COMMIT_BRANCH at $COMMIT_SHA"] }
  on:
    schedule: "${cron}"
`;

/** Cron fires on whole minutes (UTC). */
const isMinuteBoundary = (iso: string) =>
  new Date(iso).getUTCSeconds() === 0 && new Date(iso).getUTCMilliseconds() === 0;

// A hang shows which run got stuck (waitForRun's message) before Jest's own timeout.
jest.setTimeout(90_000);

describe('cron-scheduled runs (on.schedule)', () => {
  let platform: Platform;
  let repo: TestGitRepo;

  beforeAll(async () => {
    platform = await startPlatform({ KILN_SCHEDULE_INTERVAL: '1s' });
    repo = createGitRepo();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  const pipeline = (projectId: string, pipelineId: string) =>
    platform
      .api<PipelineJson>('GET', `/api/projects/${projectId}/pipelines/${pipelineId}`)
      .then((r) => r.body);
  const scheduledRuns = (projectId: string) =>
    platform
      .api<{ items: RunJson[] }>('GET', `/api/projects/${projectId}/runs?trigger=schedule`)
      .then((r) => r.body.items);

  /**
   * The smallest cron interval is a minute. Instead of waiting for the next one, the test moves the
   * pipeline's fire time into the past, as the clock would: the scheduler's tick then finds it due.
   */
  const makeDue = (pipelineId: string) =>
    platform.query("UPDATE pipelines SET next_schedule_at = now() - interval '1 second' WHERE id = $1", [
      pipelineId,
    ]);

  async function waitForScheduledRun(projectId: string): Promise<RunJson> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const [run] = await scheduledRuns(projectId);
      if (run) return platform.waitForRun(projectId, run.id, finishedWithLogs);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no scheduled run in project ${projectId}`);
  }

  it('starts a run of an inline pipeline when its cron comes due, once, without a push', async () => {
    // '* * * * *' also fires at every real minute boundary: starting in the first half of a
    // minute leaves the run made due by hand the only one before the count below.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 30_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const sha = repo.commit({ 'README.md': 'nightly\n' });
    const { id: projectId } = await platform.createProject({ name: 'nightly', repo });
    const pipelineId = await platform.createPipeline(projectId, {
      name: 'nightly',
      yaml_config: scheduled('* * * * *'),
    });
    const before = await pipeline(projectId, pipelineId);
    expect(before.schedule_cron).toBe('* * * * *');
    expect(isMinuteBoundary(before.next_schedule_at!)).toBe(true);
    expect(new Date(before.next_schedule_at!).getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(await scheduledRuns(projectId)).toEqual([]);

    await makeDue(pipelineId);
    const run = await waitForScheduledRun(projectId);
    expect(run).toMatchObject({
      status: 'succeeded',
      trigger: 'schedule',
      triggered_by: 'schedule',
      branch: 'main',
      commit_sha: sha,
      pipeline_id: pipelineId,
    });
    expect(await platform.stepLog(projectId, run, 'nightly')).toContain(`scheduled build of main at ${sha}`);

    const after = await pipeline(projectId, pipelineId);
    expect(new Date(after.next_schedule_at!).getTime()).toBeGreaterThan(Date.now());
    expect(isMinuteBoundary(after.next_schedule_at!)).toBe(true);
    // Several ticks later the fire time that came due has started exactly one run (a run of
    // the next fire time, when the wait crosses a minute boundary, is not a second one).
    const nextFire = new Date(after.next_schedule_at!).getTime();
    await new Promise((r) => setTimeout(r, 2_500));
    const ofThisFireTime = (await scheduledRuns(projectId)).filter((r) => new Date(r.created_at).getTime() < nextFire);
    expect(ofThisFireTime).toHaveLength(1);
  });

  it('picks up the schedule of a repository definition from a push to the default branch', async () => {
    const secret = 'schedule-webhook-secret';
    const { id: projectId, defaultPipelineId } = await platform.createProject({
      name: 'from-repo',
      repo,
      fullName: 'acme/from-repo',
      webhookSecret: secret,
    });
    const sha = repo.commit({ '.platform.yaml': scheduled('*/5 * * * *') });
    const delivery = await platform.pushToGithub(
      githubPushPayload(repo, 'acme/from-repo', sha),
      secret,
      randomUUID(),
    );
    expect(delivery.status).toBe(202);

    // The push itself does not run the pipeline (it has no on.push), but its schedule is now known.
    const deadline = Date.now() + 15_000;
    let synced = await pipeline(projectId, defaultPipelineId);
    while (synced.schedule_cron === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      synced = await pipeline(projectId, defaultPipelineId);
    }
    expect(synced.schedule_cron).toBe('*/5 * * * *');
    expect(new Date(synced.next_schedule_at!).getUTCMinutes() % 5).toBe(0);
    const runs = await platform.api<{ items: RunJson[] }>('GET', `/api/projects/${projectId}/runs`);
    expect(runs.body.items).toEqual([]);

    await makeDue(defaultPipelineId);
    const run = await waitForScheduledRun(projectId);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'schedule', commit_sha: sha });

    // A later push that drops the schedule stops it.
    const unscheduled = repo.commit({
      '.platform.yaml': 'pipeline:\n  steps:\n    - { name: build, image: node:20, commands: ["true"] }\n',
    });
    await platform.pushToGithub(githubPushPayload(repo, 'acme/from-repo', unscheduled), secret, randomUUID());
    await platform.waitForRun(projectId, (await runForCommit(projectId, unscheduled)).id);
    expect(await pipeline(projectId, defaultPipelineId)).toMatchObject({
      schedule_cron: null,
      next_schedule_at: null,
    });
  });

  it('registers the schedule of a repository definition when the pipeline is created or its source changes, before any run', async () => {
    const own = createGitRepo();
    try {
      own.commit({
        '.platform.yaml': scheduled('0 3 * * *'),
        'ci/plain.yaml': 'pipeline:\n  steps:\n    - { name: build, image: node:20, commands: ["true"] }\n',
      });
      const { id: projectId, defaultPipelineId } = await platform.createProject({ name: 'scheduled-at-creation', repo: own });

      const read = await pipelineOnceRead(projectId, defaultPipelineId, (p) => p.schedule_cron !== null);
      expect(read.schedule_cron).toBe('0 3 * * *');
      expect(new Date(read.next_schedule_at!).getUTCHours()).toBe(3);
      const runs = await platform.api<{ items: RunJson[] }>('GET', `/api/projects/${projectId}/runs`);
      expect(runs.body.items).toEqual([]);

      const changed = await platform.api('PUT', `/api/projects/${projectId}/pipelines/${defaultPipelineId}`, {
        config_path: 'ci/plain.yaml',
      });
      expect(changed.status).toBe(200);
      expect(await pipelineOnceRead(projectId, defaultPipelineId, (p) => p.schedule_cron === null)).toMatchObject({
        next_schedule_at: null,
      });
    } finally {
      own.remove();
    }
  });

  async function pipelineOnceRead(
    projectId: string,
    pipelineId: string,
    done: (p: PipelineJson) => boolean,
  ): Promise<PipelineJson> {
    const deadline = Date.now() + 15_000;
    let last = await pipeline(projectId, pipelineId);
    while (!done(last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      last = await pipeline(projectId, pipelineId);
    }
    return last;
  }

  async function runForCommit(projectId: string, sha: string): Promise<RunJson> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const runs = await platform.api<{ items: RunJson[] }>('GET', `/api/projects/${projectId}/runs`);
      const run = runs.body.items.find((r) => r.commit_sha === sha);
      if (run) return run;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no run for ${sha}`);
  }
});
