import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  KubeObject,
  kubeTestImages,
  startKubeApiSimulator,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepHandle, StepSpec } from '../backend';
import { createKubernetesBackend, KubernetesBackend, KubernetesBackendOptions } from './index';

const NAMESPACE = 'kiln-builds';

/** Step names whose pods get `kiln.test/*` annotations from the simulator's admission hook. */
const INJECTED: Record<string, Record<string, string>> = {
  'pull-fails': { 'kiln.test/simulate': 'ImagePullBackOff' },
  'uses-too-much-memory': { 'kiln.test/simulate': 'OOMKilled', 'kiln.test/simulate-after-ms': '300' },
  'gets-evicted': { 'kiln.test/simulate': 'Evicted', 'kiln.test/simulate-after-ms': '300' },
  'loses-its-node': { 'kiln.test/simulate': 'NodeLost', 'kiln.test/simulate-after-ms': '300' },
  'log-breaks': { 'kiln.test/break-log-after-lines': '7' },
};

describe('kubernetes backend: steps that end badly fail with the reason, never as success', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'failures\n' });
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      hostReadOnlyPaths: [repo.dir],
      maxGraceMs: 1000,
      nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
    });
    sim.addAdmissionHook((resource, object: KubeObject) => {
      const extra = INJECTED[object.metadata.labels?.['kiln.dev/step'] ?? ''];
      if (resource === 'pods' && extra)
        object.metadata.annotations = { ...object.metadata.annotations, ...extra };
    });
  });

  afterAll(async () => {
    await sim?.stop();
    repo?.remove();
  });

  function backend(options: Partial<KubernetesBackendOptions> = {}): KubernetesBackend {
    return createKubernetesBackend({
      namespace: NAMESPACE,
      kubeConfig: sim.clientConfig(NAMESPACE),
      helperImage: KUBE_HELPER_TEST_IMAGE,
      killGracePeriodSeconds: 1,
      logDrainTimeoutMs: 5000,
      ...options,
    });
  }

  function step(name: string, commands: string[], extra: Partial<StepSpec> = {}): StepSpec {
    return {
      runId: randomUUID(),
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: '',
      stepId: randomUUID(),
      stepName: name,
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands,
      env: {},
      timeoutMs: 60_000,
      ...extra,
    };
  }

  /** Starts the step and reads its log in the background. */
  async function start(b: KubernetesBackend, spec: StepSpec) {
    await b.setupRun(spec);
    const handle = await b.startStep(spec);
    const lines: string[] = [];
    const read = (async () => {
      for await (const line of b.tailLogs(handle)) lines.push(line.text);
    })();
    const until = async (text: string) => {
      while (!lines.includes(text)) await sleep(20);
    };
    const finish = async () => {
      await read;
      return b.wait(handle);
    };
    return { handle, lines, until, finish };
  }

  const podOf = (handle: StepHandle) => sim.get('pods', NAMESPACE, handle.sandboxName);

  it("fails a step whose pod no node can take within the schedule timeout, with the scheduler's reason", async () => {
    const b = backend({ scheduleTimeoutSeconds: 1, nodeSelector: { 'kiln.dev/pool': 'gpu' } });
    const startedAt = Date.now();
    const exit = await (await start(b, step('no-node', ['echo never']))).finish();
    expect(exit).toEqual({
      exitCode: null,
      error:
        "the step pod could not be scheduled (Unschedulable): 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('fails a step whose workspace claim never binds, naming the storage class setting', async () => {
    const b = backend({ scheduleTimeoutSeconds: 1, storageClass: 'not-provisioned' });
    const exit = await (await start(b, step('no-volume', ['echo never']))).finish();
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toContain('pod has unbound immediate PersistentVolumeClaims');
    expect(exit.error).toContain('is there a default StorageClass, or is KILN_K8S_STORAGE_CLASS right?');
  });

  it('fails a step whose image cannot be pulled and deletes its pod', async () => {
    const b = backend();
    const running = await start(b, step('pull-fails', ['echo never']));
    const exit = await running.finish();
    expect(exit.exitCode).toBeNull();
    // The first failed attempt (ErrImagePull) is waited out; the back-off ends the step, with the registry's answer.
    expect(exit.error).toBe(
      `image pull failed (ImagePullBackOff) for "${KUBE_STEP_TEST_IMAGE}": Back-off pulling image "${KUBE_STEP_TEST_IMAGE}"; ` +
        `Failed to pull image "${KUBE_STEP_TEST_IMAGE}": rpc error: code = NotFound desc = failed to pull and unpack image "${KUBE_STEP_TEST_IMAGE}": not found`,
    );
    expect(running.lines).toEqual([]);
    expect(podOf(running.handle)).toBeUndefined();
  });

  it('fails a step with an image reference that cannot be parsed (InvalidImageName)', async () => {
    const running = await start(backend(), step('bad-image', ['echo never'], { image: 'Not/A:Valid Image' }));
    const exit = await running.finish();
    expect(exit).toMatchObject({ exitCode: null, error: expect.stringContaining('InvalidImageName') });
  });

  it('fails an out-of-memory step as OOMKilled with exit code 137', async () => {
    const spec = step('uses-too-much-memory', ['echo allocating', 'sleep 30'], {
      resources: { memory: '64Mi' },
    });
    const running = await start(backend(), spec);
    const exit = await running.finish();
    expect(exit).toEqual({
      exitCode: 137,
      error: 'OOMKilled: the step used more memory than its limit of 64Mi',
    });
    expect(running.lines).toEqual(['+ echo allocating', 'allocating', '+ sleep 30']);
  });

  it('fails an evicted step with the eviction message, not with the killed container exit code', async () => {
    const running = await start(backend(), step('gets-evicted', ['echo working', 'sleep 30']));
    const exit = await running.finish();
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toMatch(/^pod evicted: The node was low on resource: memory/);
    expect(running.lines).toContain('working');
  });

  it('fails a step whose pod someone else deleted as "pod deleted", even when the step exits 0 on SIGTERM', async () => {
    const commands = ["trap 'echo terminated; exit 0' TERM", 'echo started', 'sleep 30 & wait'];
    const running = await start(backend(), step('deleted-by-someone', commands));
    await running.until('started');
    sim.deleteObject('pods', NAMESPACE, running.handle.sandboxName);
    const exit = await running.finish();
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toMatch(/^pod deleted/);
    expect(running.lines).toContain('terminated');
  });

  it('fails a step whose node was lost once the pod is evicted from it, and removes the stuck pod', async () => {
    const running = await start(
      backend({ nodeLostTolerationSeconds: 0 }),
      step('loses-its-node', ['echo running', 'sleep 30']),
    );
    const exit = await running.finish();
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toMatch(/^node lost: node node-\d stopped responding/);
    expect(running.lines).toContain('running');
    expect(podOf(running.handle)).toBeUndefined();
  });

  it('resumes a log stream that broke mid-way without losing or repeating a line', async () => {
    const commands = [
      'for i in $(seq 1 40); do echo "line $i"; done',
      'sleep 0.5',
      'for i in $(seq 41 80); do echo "line $i"; done',
    ];
    const running = await start(backend(), step('log-breaks', commands));
    const exit = await running.finish();
    expect(exit).toEqual({ exitCode: 0 });
    const output = running.lines.filter((l) => l.startsWith('line '));
    expect(output).toEqual(Array.from({ length: 80 }, (_, i) => `line ${i + 1}`));
  });

  it('keeps following when the pod watch drops and when its resource version has expired', async () => {
    const running = await start(
      backend(),
      step('watch-breaks', ['echo first', 'sleep 0.6', 'echo second', 'exit 4']),
    );
    await running.until('first');
    sim.breakWatches();
    await sleep(200);
    sim.compactHistory();
    sim.breakWatches();
    const exit = await running.finish();
    expect(exit).toEqual({ exitCode: 4 });
    expect(running.lines).toContain('second');
  });

  it('stops a step at its pod deadline when nobody kills it (the executor died)', async () => {
    const b = backend({ deadlineMarginSeconds: 0 });
    const running = await start(b, step('runs-forever', ['echo begun', 'sleep 30'], { timeoutMs: 1000 }));
    const exit = await running.finish();
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toMatch(/ran past its deadline \(activeDeadlineSeconds 1\)/);
  });
});

describe('kubernetes backend: log stream resumption with whole-second timestamps', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;

  beforeAll(async () => {
    repo = createGitRepo();
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      hostReadOnlyPaths: [repo.dir],
      coarseLogTimestamps: true,
    });
    sim.addAdmissionHook((resource, object) => {
      if (resource === 'pods')
        object.metadata.annotations = {
          ...object.metadata.annotations,
          'kiln.test/break-log-after-lines': '25',
        };
    });
  });

  afterAll(async () => {
    await sim?.stop();
    repo?.remove();
  });

  it('drops exactly the replayed lines when many lines share the timestamp it resumes from', async () => {
    const b = createKubernetesBackend({
      namespace: NAMESPACE,
      kubeConfig: sim.clientConfig(NAMESPACE),
      helperImage: KUBE_HELPER_TEST_IMAGE,
    });
    const sha = repo.commit({ 'a.txt': 'a' });
    const runId = randomUUID();
    const spec: StepSpec = {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: '',
      stepId: randomUUID(),
      stepName: 'same-second',
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands: ['seq 1 100', 'sleep 0.3', 'seq 101 120'],
      env: {},
      timeoutMs: 60_000,
    };
    await b.setupRun(spec);
    const handle = await b.startStep(spec);
    const lines: string[] = [];
    for await (const line of b.tailLogs(handle)) lines.push(line.text);
    expect(await b.wait(handle)).toEqual({ exitCode: 0 });
    expect(lines.filter((l) => /^\d+$/.test(l))).toEqual(
      Array.from({ length: 120 }, (_, i) => String(i + 1)),
    );
    await b.destroyRun(runId);
  });
});
