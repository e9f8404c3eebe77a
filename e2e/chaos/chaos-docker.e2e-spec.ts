/**
 * The chaos suite's docker-backend wave: runs of the four-step diamond as containers on a real
 * Docker Engine while the executor is killed with SIGKILL mid-step and restarted. Afterwards every
 * run is terminal (succeeded, or failed because a step lost its executor twice), every archived
 * log holds each numbered line exactly once, every succeeded run kept its artifact, and no step
 * container, run helper or workspace volume of these runs is left on the engine.
 * `KILN_CHAOS_RUNS` runs go through the fault (default 3, the form CI runs).
 */
import { busyboxTestImage, createGitRepo, TestGitRepo, testDocker } from '@kiln/testing';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { archivedLog, logProblems, stepsOf, waitFor, waitRunning, waitTerminal } from './chaos-checks';
import { ChaosPlatform, startChaosPlatform } from './chaos-platform';
import { DIAMOND, diamond, pushPayload, STEP_LINES } from './chaos-pipeline';

const RUNS = Math.max(1, Number(process.env.KILN_CHAOS_RUNS ?? 3));
const SECRET = 'chaos-docker-secret';
const IMAGE = 'kiln-test/busybox:1';
const WAVE_MS = 120_000 + RUNS * 4_000;

describe('the platform on the docker backend under faults', () => {
  let chaos: ChaosPlatform;
  let docker: Docker;
  let repo: TestGitRepo;

  beforeAll(async () => {
    docker = testDocker();
    await busyboxTestImage(docker, IMAGE);
    repo = createGitRepo();
    chaos = await startChaosPlatform({
      KILN_EXECUTOR_BACKEND: 'docker',
      KILN_EXECUTOR_ID: `chaos-docker-${randomUUID().slice(0, 8)}`,
      KILN_EXECUTOR_LOST_AFTER: '10s',
      KILN_WATCHDOG_INTERVAL: '1s',
      KILN_EXECUTOR_CAPACITY: '8',
    });
    const res = await chaos.platform.api('POST', '/api/projects', {
      name: 'chaos-docker',
      repo_url: repo.url,
      repo_full_name: 'acme/chaos',
      provider: 'github',
      webhook_secret: SECRET,
    });
    expect(res.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await chaos?.stop();
    repo?.remove();
  }, 60_000);

  it(
    'finishes every run, with whole logs and nothing left on the engine, when the executor is killed mid-step',
    async () => {
      const sha = repo.commit({ '.platform.yaml': diamond(IMAGE), 'wave.txt': randomUUID() });
      const runIds = await Promise.all(
        Array.from({ length: RUNS }, async () => {
          const deliveryId = randomUUID();
          const res = await chaos.platform.pushToGithub(pushPayload(repo, sha, deliveryId), SECRET, deliveryId);
          if (res.status !== 202) throw new Error(`push answered ${res.status}: ${JSON.stringify(res.body)}`);
          return chaos.platform.runOfDelivery(res.body.delivery_record_id as string);
        }),
      );
      await waitRunning(chaos, runIds, Math.min(runIds.length, 8));
      await chaos.platform.apps.kill('pod-executor', 'SIGKILL');
      await chaos.platform.apps.start('pod-executor');

      const runs = await waitTerminal(chaos, runIds, WAVE_MS);
      const steps = await waitFor('logs archived', 60_000, async () => {
        const all = await stepsOf(chaos, runIds);
        return all.every((s) => s.log_ref !== null || s.status === 'skipped' || /^executor .* lost/.test(s.error ?? ''))
          ? all
          : undefined;
      });
      const lost = (runId: string) => steps.some((s) => s.run_id === runId && /^executor .* lost/.test(s.error ?? ''));
      expect(runs.filter((r) => r.status !== 'succeeded' && !(r.status === 'failed' && lost(r.id)))).toEqual([]);

      const problems = steps
        .filter((s) => s.log_ref !== null && DIAMOND.includes(s.name))
        .flatMap((s) =>
          logProblems(archivedLog(chaos.platform.dataDir, s.log_ref!), s.name, STEP_LINES, false).map(
            (p) => `run ${s.run_id} step ${s.name}: ${p}`,
          ),
        );
      expect(problems).toEqual([]);

      const succeeded = runs.filter((r) => r.status === 'succeeded').map((r) => r.id);
      const withArtifact = await waitFor('artifacts of succeeded runs', 60_000, async () => {
        const rows = await chaos.query<{ run_id: string }>(
          "SELECT DISTINCT run_id FROM artifacts WHERE name = 'out' AND run_id = ANY($1::uuid[])",
          [succeeded],
        );
        return rows.length === succeeded.length ? rows : undefined;
      });
      expect(withArtifact).toHaveLength(succeeded.length);

      // Each run's end removes its containers and volume (the restarted executor removed the killed one's at start).
      const left = await waitFor('nothing of the runs left on the engine', 60_000, async () => {
        const labels = runIds.map((id) => `dev.kiln.run=${id}`);
        const found: string[] = [];
        for (const label of labels) {
          const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
          const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
          found.push(...containers.map((c) => c.Names[0]), ...(Volumes ?? []).map((v) => v.Name));
        }
        return found.length === 0 ? found : undefined;
      });
      expect(left).toEqual([]);
      console.log(
        `docker backend, kill -9 pod-executor mid-step: ${runs.length} runs, ` +
          `${succeeded.length} succeeded, ${runs.length - succeeded.length} lost their executor; logs whole; nothing left`,
      );
    },
    WAVE_MS + 180_000,
  );
});
