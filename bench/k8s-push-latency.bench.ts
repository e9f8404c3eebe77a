// Push → step started on the kubernetes backend: a signed GitHub push of a new commit, one at a
// time, through the whole platform with the executor on its kubernetes backend against the API
// simulator of libs/testing, whose kubelet runs every pod's containers on the Docker Engine (the
// checkout init container in the helper image, then the step in its image). Per run: the step's
// started_at (the executor created its pod), the moment the checkout init container ended and the
// moment the simulated kubelet reported the step container running, all on this machine's clock
// (the push's from the moment the webhook answered). No real cluster: no scheduler queue, no image
// pull, no volume provisioner.
import {
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  startKubeApiSimulator,
  StoreEvent,
} from '@kiln/testing';
import { commitSeries } from './support/commits';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { runOfPush, startStack } from './support/stack';
import { round, summarize, waitFor } from './support/stats';

const RUNS = 30;
const NAMESPACE = 'kiln-runs';
const DEFINITION = `pipeline:
  steps:
    - name: hello
      image: ${KUBE_STEP_TEST_IMAGE}
      commands: ["echo hello from $COMMIT_SHA"]
`;
/** Tekton's figure for a one-step TaskRun, event → pod running, on a warm cluster. */
const TEKTON_NOTE = "beside Tekton's published ≈5 s (event → first step running)";

interface Timing {
  answeredAt: number;
  stepStartedAt: number;
  checkedOutAt: number;
  containerRunningAt: number;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 5);
  await kubeTestImages();
  const stack = await startStack({ executor: false });
  let sim: KubeApiSimulator | undefined;
  try {
    const project = await stack.createProject({ '.platform.yaml': DEFINITION, 'README.md': 'bench\n' });
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      podSecurity: { [NAMESPACE]: 'restricted' },
      hostReadOnlyPaths: [project.repo.dir],
      maxGraceMs: 500,
    });
    const seen = podMilestones(sim);
    await stack.startExecutor({
      KILN_EXECUTOR_BACKEND: 'kubernetes',
      KILN_EXECUTOR_CAPACITY: '4',
      KILN_KUBECONFIG: sim.writeKubeconfig(NAMESPACE),
      KILN_K8S_NAMESPACE: NAMESPACE,
      KILN_K8S_HELPER_IMAGE: KUBE_HELPER_TEST_IMAGE,
      KILN_K8S_KILL_GRACE_SECONDS: '1',
      KILN_K8S_DEFAULT_CPU: '500m',
      KILN_K8S_DEFAULT_MEMORY: '256Mi',
    });
    const timings: Timing[] = [];
    // Two warm-up runs: the scheduler's first fetch and the engine's first containers are not typical.
    const shas = commitSeries(project.repo, runs + 2);
    for (const [i, sha] of shas.entries()) {
      const answer = await project.push(sha);
      const answeredAt = Date.now();
      const runId = await runOfPush(stack.sql, answer);
      const stepStartedAt = await succeededStep(stack.sql, runId);
      const { checkedOutAt, containerRunningAt } = seen.get(runId) ?? {};
      if (checkedOutAt === undefined || containerRunningAt === undefined)
        throw new Error(`run ${runId}: the checkout or the step container never ran`);
      if (i >= 2) timings.push({ answeredAt, stepStartedAt, checkedOutAt, containerRunningAt });
      if ((i + 1) % 10 === 0) ctx.log(`k8s-push-latency: ${i + 1}/${runs + 2} runs`);
    }
    const started = summarize(timings.map((t) => t.stepStartedAt - t.answeredAt));
    const containers = summarize(timings.map((t) => t.containerRunningAt - t.answeredAt));
    const checkout = summarize(timings.map((t) => t.checkedOutAt - t.stepStartedAt));
    const toRunning = summarize(timings.map((t) => t.containerRunningAt - t.checkedOutAt));
    return [
      {
        name: 'k8s: push → step container running, p50',
        value: round(containers.p50),
        unit: 'ms',
        note: `${timings.length} runs, one at a time, Docker-backed API simulator; ${TEKTON_NOTE}`,
      },
      { name: 'k8s: push → step container running, p99', value: round(containers.p99), unit: 'ms' },
      {
        name: 'k8s: push → step started (pod created), p50',
        value: round(started.p50),
        unit: 'ms',
        note: 'the step’s started_at: workspace claim and owner created, pod accepted',
      },
      {
        name: '  pod created → checkout init container done, p50',
        value: round(checkout.p50),
        unit: 'ms',
        note: 'scheduling, volume binding, sandbox, git clone in the helper image',
      },
      { name: '  checkout done → step container running, p50', value: round(toRunning.p50), unit: 'ms' },
    ];
  } finally {
    await stack.stop();
    await sim?.stop();
  }
}

interface Milestones {
  checkedOutAt?: number;
  containerRunningAt?: number;
}

/** When each run's checkout init container ended and its step container first ran, by run id. */
function podMilestones(sim: KubeApiSimulator): Map<string, Milestones> {
  type Status = { name: string; state?: object };
  const seen = new Map<string, Milestones>();
  sim.store.on('event', (event: StoreEvent) => {
    const runId = event.object.metadata.labels?.['kiln.dev/run'];
    if (event.resource !== 'pods' || !runId) return;
    const status = event.object.status as { initContainerStatuses?: Status[]; containerStatuses?: Status[] };
    const checkout = status?.initContainerStatuses?.find((s) => s.name === 'checkout')?.state;
    const step = status?.containerStatuses?.find((s) => s.name === 'step')?.state;
    const at = seen.get(runId) ?? {};
    if (checkout && 'terminated' in checkout) at.checkedOutAt ??= Date.now();
    if (step && ('running' in step || 'terminated' in step)) at.containerRunningAt ??= Date.now();
    seen.set(runId, at);
  });
  return seen;
}

async function succeededStep(sql: import('pg').Client, runId: string): Promise<number> {
  return waitFor(
    `run ${runId} to finish`,
    120_000,
    async () => {
      const { rows } = await sql.query<{ status: string; started: string | null; error: string | null }>(
        `SELECT r.status, s.error, extract(epoch FROM s.started_at) * 1000 AS started
           FROM runs r JOIN steps s ON s.run_id = r.id AND s.position = 0
          WHERE r.id = $1`,
        [runId],
      );
      const row = rows[0];
      if (!row || !['succeeded', 'failed', 'cancelled'].includes(row.status)) return undefined;
      if (row.status !== 'succeeded' || row.started === null)
        throw new Error(`run ${runId} ended ${row.status}: ${row.error ?? 'no error recorded'}`);
      return Number(row.started);
    },
    20,
  );
}

if (require.main === module) runStandalone(run);
