import {
  createGitRepo,
  finishedWithLogs,
  startApps,
  githubPushPayload,
  KubeObject,
  KUBE_STEP_TEST_IMAGE,
  kubernetesSchemaProblems,
  RunJson,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_NODES, HELPER_IMAGE, KubePlatform, RUNS_NAMESPACE, startKubePlatform } from './kube-platform';

const MISSING_IMAGE = 'registry.example.com/kiln/missing:1';
const FULL_NAME = 'acme/kube';
const SECRET = 'kube-webhook-secret';

interface PodJson {
  spec: {
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    serviceAccountName?: string;
    tolerations?: { key?: string }[];
    affinity?: unknown;
    containers: { name: string; image: string }[];
    initContainers?: { name: string; image: string }[];
  };
}

const twoSteps = (buildExit: number) => `pipeline:
  steps:
    - name: build
      image: ${KUBE_STEP_TEST_IMAGE}
      commands:
        - echo "building $PLATFORM_PROJECT_NAME at $COMMIT_SHA in $(pwd)"
        - cat README.md
        - mkdir -p out
        - echo "report of $COMMIT_SHA" > out/report.txt
        - echo built > /workspace/build-output.txt
        - exit ${buildExit}
    - name: test
      image: ${KUBE_STEP_TEST_IMAGE}
      depends_on: [build]
      commands:
        - echo "testing step $STEP_NAME"
        - cat build-output.txt
  artifacts:
    - { name: report, path: out/report.txt }
`;

const unpullable = `pipeline:
  steps:
    - name: pull
      image: ${MISSING_IMAGE}
      commands: [echo never]
`;

const longRunning = `pipeline:
  steps:
    - name: long
      image: ${KUBE_STEP_TEST_IMAGE}
      commands:
        - echo started
        - sleep 120
`;

describe('the platform on the kubernetes backend (API server simulator)', () => {
  let platform: KubePlatform;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    repo = createGitRepo();
    platform = await startKubePlatform({ repoDirs: [repo.dir] });
    projectId = (
      await platform.createProject({ name: 'kube', repo, fullName: FULL_NAME, webhookSecret: SECRET })
    ).id;
    // On a fresh machine the helper image's Debian base is made first (libs/testing/src/base-images.ts).
  }, 600_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  /** Commits `definition` and pushes it like GitHub would; answers the run id and the commit. */
  async function push(definition: string): Promise<{ runId: string; sha: string }> {
    const sha = repo.commit({ 'README.md': `readme ${randomUUID()}\n`, '.platform.yaml': definition });
    const delivery = await platform.pushToGithub(
      githubPushPayload(repo, FULL_NAME, sha),
      SECRET,
      randomUUID(),
    );
    expect(delivery).toMatchObject({ status: 202, body: { status: 'accepted' } });
    return { runId: await platform.runOfDelivery(delivery.body.delivery_record_id as string), sha };
  }

  const finished = (runId: string) => platform.waitForRun(projectId, runId, finishedWithLogs);
  const step = (run: RunJson, name: string) => run.steps.find((s) => s.name === name)!;

  /** Asks `read` again until `done` holds of its answer (things that follow a run's end come a moment later). */
  async function poll<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: last seen ${JSON.stringify(value)}`);
    }
  }

  async function waitUntil(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const stepPods = (runId: string) =>
    platform
      .createdFor(runId)
      .filter(
        (c) => c.resource === 'pods' && c.body.metadata.labels?.['app.kubernetes.io/component'] === 'step',
      );

  it('runs two dependent steps as pods that share /workspace and archives their logs', async () => {
    const { runId, sha } = await push(twoSteps(0));
    const run = await finished(runId);
    expect(run.status).toBe('succeeded');
    expect(step(run, 'build')).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(step(run, 'test')).toMatchObject({ status: 'succeeded', exit_code: 0, depends_on: ['build'] });
    expect(new Date(step(run, 'test').started_at!).getTime()).toBeGreaterThanOrEqual(
      new Date(step(run, 'build').finished_at!).getTime(),
    );

    const buildLog = await platform.stepLog(projectId, run, 'build');
    expect(buildLog).toContain(`building kube at ${sha} in /workspace`);
    expect(buildLog).toContain('readme ');
    const testLog = await platform.stepLog(projectId, run, 'test');
    expect(testLog).toContain('testing step test');
    expect(testLog).toContain('built');

    // One pod per step, placed and dressed from the executor's KILN_K8S_* settings.
    const pods = stepPods(runId).map((c) => ({
      labels: c.body.metadata.labels,
      ...(c.body as unknown as PodJson),
    }));
    expect(pods.map((p) => p.labels?.['kiln.dev/step']).sort()).toEqual(['build', 'test']);
    for (const pod of pods) {
      expect(pod.spec).toMatchObject({
        nodeSelector: { 'kiln.dev/pool': 'builds' },
        serviceAccountName: 'kiln-step',
        containers: [{ name: 'step', image: KUBE_STEP_TEST_IMAGE }],
      });
      expect(pod.spec.tolerations?.map((t) => t.key)).toContain('kiln.dev/builds');
    }
    // The repository is cloned once, by the first step's init container with the helper image.
    expect(pods.map((p) => p.spec.initContainers?.map((c) => c.image) ?? [])).toEqual(
      expect.arrayContaining([[HELPER_IMAGE], []]),
    );
    // The volume is ReadWriteOnce: the second pod is pinned to the build node the first one got.
    const pinned = JSON.stringify(pods.find((p) => p.labels?.['kiln.dev/step'] === 'test')!.spec.affinity);
    expect(pinned).toMatch(
      new RegExp(`"key":"metadata.name","operator":"In","values":\\["(${BUILD_NODES.join('|')})"\\]`),
    );
    const claim = platform.createdFor(runId).find((c) => c.resource === 'persistentvolumeclaims')!;
    expect(claim.body.spec).toMatchObject({
      storageClassName: 'fast-ssd',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '2Gi' } },
    });

    const runners = await platform.api<{ items: { backend: string }[] }>('GET', '/api/runners');
    expect(runners.body.items.map((r) => r.backend)).toEqual(['kubernetes']);
  }, 90_000);

  it('uploads the run artifacts from the volume to the artifact-service, then removes every object of the run', async () => {
    const { runId, sha } = await push(twoSteps(0));
    expect((await finished(runId)).status).toBe('succeeded');
    // The executor collects after `kiln.run.finished`, so the listing fills a moment after the run ends.
    type Listing = { items: { name: string; path: string; download_path: string }[] };
    const artifacts = await poll(
      'the artifacts of the run',
      async () =>
        (await platform.api<Listing>('GET', `/api/projects/${projectId}/runs/${runId}/artifacts`)).body.items,
      (items) => items.length > 0,
    );
    expect(artifacts).toEqual([expect.objectContaining({ name: 'report', path: 'report.txt' })]);
    const download = await platform.text(artifacts[0].download_path);
    expect(download).toEqual({ status: 200, text: `report of ${sha}\n` });

    // Run owner deleted: the garbage collector takes its pods, secrets and volume.
    await waitUntil('the run objects are gone', () => platform.runObjects(runId).length === 0);
    const created = platform.createdFor(runId);
    const owner = created.find((c) => c.resource === 'configmaps')!;
    expect(owner.body.metadata.name).toBe(`kiln-run-${runId}`);
    const owned = created.filter((c) => c !== owner);
    // The volume, the checkout Secret, per step a pod and its env Secret, and the artifact helper pod.
    expect(owned.map((c) => c.resource).sort()).toEqual([
      'persistentvolumeclaims',
      'pods',
      'pods',
      'pods',
      'secrets',
      'secrets',
      'secrets',
    ]);
    for (const { resource, body } of owned) {
      expect({ object: `${resource}/${body.metadata.name}`, owners: ownerNames(body) }).toEqual({
        object: `${resource}/${body.metadata.name}`,
        owners: [`ConfigMap/kiln-run-${runId}`],
      });
    }
    for (const { resource, body } of created) {
      expect({
        [`${resource}/${body.metadata.name}`]: kubernetesSchemaProblems(resource as never, body),
      }).toEqual({
        [`${resource}/${body.metadata.name}`]: [],
      });
    }
    // The step environment (secrets included) reaches the container only through its Secret.
    for (const pod of stepPods(runId)) {
      const [container] = (pod.body.spec as { containers: { env?: unknown; envFrom?: unknown }[] })
        .containers;
      expect(container.env).toBeUndefined();
      expect(container.envFrom).toEqual([{ secretRef: { name: `${pod.body.metadata.name}-env` } }]);
    }
  }, 90_000);

  it('fails the run when a step exits non-zero and skips the step that depends on it', async () => {
    const { runId } = await push(twoSteps(3));
    const run = await finished(runId);
    expect(run.status).toBe('failed');
    expect(step(run, 'build')).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(step(run, 'test')).toMatchObject({ status: 'skipped', exit_code: null });
    expect(stepPods(runId).map((c) => c.body.metadata.labels?.['kiln.dev/step'])).toEqual(['build']);
    await waitUntil('the run objects are gone', () => platform.runObjects(runId).length === 0);
  }, 90_000);

  it('fails a step whose image cannot be pulled with ImagePullBackOff and the registry answer', async () => {
    const { runId } = await push(unpullable);
    const run = await finished(runId);
    expect(run.status).toBe('failed');
    const pull = step(run, 'pull');
    expect(pull.status).toBe('failed');
    expect(pull.exit_code).toBeNull();
    expect(pull.error).toContain(`image pull failed (ImagePullBackOff) for "${MISSING_IMAGE}"`);
    // The runtime's answer as the kubelet reports it (containerd's NotFound for a missing image).
    expect(pull.error).toContain('code = NotFound');
    await waitUntil('the run objects are gone', () => platform.runObjects(runId).length === 0);
  }, 90_000);

  it('deletes the running pod when the run is cancelled', async () => {
    const { runId } = await push(longRunning);
    await platform.waitForRun(projectId, runId, (r) => step(r, 'long')?.status === 'running');
    await waitUntil('the step pod runs', () => runningPods(runId).length === 1);
    const [podName] = runningPods(runId);
    const node = (platform.sim.get('pods', RUNS_NAMESPACE, podName)!.spec as PodJson['spec']).nodeName;
    expect(BUILD_NODES).toContain(node);

    const cancel = await platform.api('POST', `/api/projects/${projectId}/runs/${runId}/cancel`, {});
    expect(cancel.status).toBeLessThan(300);
    await platform.sim.waitFor('pods', RUNS_NAMESPACE, podName, (pod) => pod === undefined, 20_000);
    const run = await platform.waitForRun(projectId, runId);
    expect(run.status).toBe('cancelled');
    expect(step(run, 'long').status).toBe('cancelled');
    await waitUntil('the run objects are gone', () => platform.runObjects(runId).length === 0);
  }, 90_000);

  function runningPods(runId: string): string[] {
    return platform.sim
      .list('pods', RUNS_NAMESPACE, `kiln.dev/run=${runId},app.kubernetes.io/component=step`)
      .filter((pod) => (pod.status as { phase?: string } | undefined)?.phase === 'Running')
      .map((pod) => pod.metadata.name);
  }
});

describe('the executor on the kubernetes backend refuses to start with bad settings, naming them', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'kiln-kube-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    startApps(['pod-executor'], { KILN_EXECUTOR_BACKEND: 'kubernetes', KILN_DATA_DIR: dir, ...env }).then(
      async (apps) => {
        await apps.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );

  it('stops with exit code 78 on a malformed KILN_K8S_* variable or a missing kubeconfig', async () => {
    const bad = await start({ KILN_K8S_NAMESPACE: 'Not_A_Namespace', KILN_K8S_NODE_SELECTOR: 'pool=ci' });
    expect(bad).toMatch(/^pod-executor exited with 78/);
    expect(bad).toContain('KILN_K8S_NAMESPACE ("Not_A_Namespace"): must be a namespace name');
    expect(bad).toContain('KILN_K8S_NODE_SELECTOR ("pool=ci"): must be a JSON object');
    const missing = join(dir, 'no-such-kubeconfig.yaml');
    expect(await start({ KILN_KUBECONFIG: missing })).toContain(
      `KILN_KUBECONFIG ("${missing}"): no such file`,
    );
  }, 60_000);

  it('stops when the cluster in its kubeconfig does not answer', async () => {
    const kubeconfig = join(dir, 'unreachable.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: gone, cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: c, context: { cluster: gone, user: u } }]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    const message = await start({ KILN_KUBECONFIG: kubeconfig, KILN_K8S_NAMESPACE: RUNS_NAMESPACE });
    expect(message).toMatch(/^pod-executor exited with 1/);
    expect(message).toContain(
      `the kubernetes backend cannot run steps in namespace ${RUNS_NAMESPACE}: list pods failed (no answer): `,
    );
    expect(message).toContain('is the API server reachable (KILN_KUBECONFIG, in-cluster config)?');
  }, 60_000);
});

function ownerNames(object: KubeObject): string[] {
  return (object.metadata.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`);
}
