import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  startKubeApiSimulator,
  StoreEvent,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepSpec, StepStartError } from '../backend';
import { createKubernetesBackend, KubernetesBackend, KubernetesBackendOptions } from './index';

const NAMESPACE = 'kiln-builds';

describe('kubernetes backend: cancel, timeout, garbage collection and the orphan sweep', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'cleanup\n' });
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      hostReadOnlyPaths: [repo.dir],
      maxGraceMs: 1000,
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

  function step(runId: string, name: string, commands: string[], extra: Partial<StepSpec> = {}): StepSpec {
    return {
      runId,
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
    return { handle, lines, until, read, finish: async () => (await read, b.wait(handle)) };
  }

  const objectsOf = (runId: string) =>
    (['pods', 'secrets', 'persistentvolumeclaims', 'configmaps'] as const).flatMap((r) =>
      sim.list(r, NAMESPACE, `kiln.dev/run=${runId}`).map((o) => `${r}/${o.metadata.name}`),
    );

  it('deletes the pod of a cancelled step and reports the signal that ended it, with the log so far', async () => {
    const b = backend();
    const runId = randomUUID();
    const running = await start(b, step(runId, 'cancelled', ['echo started', 'sleep 30']));
    await running.until('started');
    await b.kill(running.handle, 'cancel');
    const exit = await running.finish();
    expect(exit.signal).toMatch(/^SIG(TERM|KILL)$/);
    expect(running.lines).toContain('started');
    expect(sim.get('pods', NAMESPACE, running.handle.sandboxName)).toBeUndefined();
    await b.destroyRun(runId);
  });

  it('ends a timed-out step that traps SIGTERM as killed, not with its own exit code 0', async () => {
    const b = backend();
    const runId = randomUUID();
    const running = await start(
      b,
      step(runId, 'timed-out', ["trap 'echo bye; exit 0' TERM", 'echo started', 'sleep 30 & wait']),
    );
    await running.until('started');
    await b.kill(running.handle, 'timeout');
    const exit = await running.finish();
    expect(exit).toEqual({ exitCode: 0, signal: 'SIGTERM' });
    expect(running.lines).toContain('bye');
    await b.destroyRun(runId);
  });

  it('keeps the result of a step that ended before it was killed', async () => {
    const b = backend();
    const runId = randomUUID();
    const running = await start(b, step(runId, 'quick', ['exit 5']));
    await running.read;
    await b.kill(running.handle, 'timeout');
    expect(await b.wait(running.handle)).toEqual({ exitCode: 5 });
    await b.destroyRun(runId);
  });

  it('reads every line of a step that prints a lot at the end before its pod is deleted', async () => {
    const b = backend();
    const runId = randomUUID();
    const spec = step(runId, 'chatty', ['seq 1 20000']);
    let deletedAt = 0;
    const onEvent = (event: StoreEvent) => {
      if (event.type === 'DELETED' && event.object.metadata.labels?.['kiln.dev/step-id'] === spec.stepId)
        deletedAt = Date.now();
    };
    sim.store.on('event', onEvent);
    const running = await start(b, spec);
    await running.read;
    const tailEnded = Date.now();
    await sleep(300);
    expect(deletedAt).toBe(0);
    expect(await b.wait(running.handle)).toEqual({ exitCode: 0 });
    sim.store.off('event', onEvent);
    expect(running.lines.filter((l) => /^\d+$/.test(l))).toHaveLength(20000);
    expect(running.lines[running.lines.length - 1]).toBe('20000');
    expect(deletedAt).toBeGreaterThanOrEqual(tailEnded);
    await b.destroyRun(runId);
  });

  it('removes every object of a run through its owner, and destroying twice or an unknown run is harmless', async () => {
    const b = backend();
    const runId = randomUUID();
    const running = await start(b, step(runId, 'long', ['echo started', 'sleep 30']));
    await running.until('started');
    expect(objectsOf(runId)).toEqual(
      expect.arrayContaining([
        `pods/${running.handle.sandboxName}`,
        `configmaps/kiln-run-${runId}`,
        `persistentvolumeclaims/kiln-ws-${runId}`,
      ]),
    );
    await b.destroyRun(runId);
    await running.read;
    await waitUntil(() => objectsOf(runId).length === 0);
    await b.destroyRun(runId);
    await b.destroyRun(randomUUID());
  });

  it('fails a running step as "pod deleted" when its run owner is deleted and the garbage collector takes the pod', async () => {
    const b = backend();
    const runId = randomUUID();
    const running = await start(b, step(runId, 'collected', ['echo started', 'sleep 30']));
    await running.until('started');
    sim.deleteObject('configmaps', NAMESPACE, `kiln-run-${runId}`);
    const exit = await running.finish();
    expect(exit.error).toMatch(/^pod deleted/);
    await waitUntil(() => objectsOf(runId).length === 0);
  });

  it('sweeps runs left behind by a dead executor but spares runs that are running, recent or active here', async () => {
    const crashed = backend();
    const finished = randomUUID();
    const first = await start(crashed, step(finished, 'done', ['true']));
    await first.finish();
    const busy = randomUUID();
    const longStep = await start(crashed, step(busy, 'busy', ['echo started', 'sleep 30']));
    await longStep.until('started');
    const activeHere = randomUUID();
    await crashed.setupRun(step(activeHere, 'setup-only', []));

    const restarted = backend();
    const future = new Date(Date.now() + 60_000);
    expect(await restarted.reapOrphans(new Date(Date.now() - 60_000), new Set())).toEqual([]);
    const removed = await restarted.reapOrphans(future, new Set([activeHere]));
    expect(removed).toEqual([finished]);
    await waitUntil(() => objectsOf(finished).length === 0);
    expect(objectsOf(busy)).toContain(`pods/${longStep.handle.sandboxName}`);
    expect(objectsOf(activeHere)).toContain(`configmaps/kiln-run-${activeHere}`);
    await crashed.destroyRun(busy);
    await crashed.destroyRun(activeHere);
  });

  it('adopts the pod of a redelivered step after an executor restart and reports it from its first line', async () => {
    const spec = step(randomUUID(), 'redelivered', ['echo one', 'sleep 0.5', 'echo two', 'exit 6']);
    const before = backend();
    await before.setupRun(spec);
    await before.startStep(spec);
    const after = backend();
    const running = await start(after, spec);
    expect(await running.finish()).toEqual({ exitCode: 6 });
    expect(running.lines).toEqual(['+ echo one', 'one', '+ sleep 0.5', '+ echo two', 'two', '+ exit 6']);
    await after.destroyRun(spec.runId);
  });

  it('refuses a step the API server rejects (a malformed memory quantity) with the server message', async () => {
    const b = backend();
    const spec = step(randomUUID(), 'bad-quantity', ['true'], { resources: { memory: 'lots' } });
    await b.setupRun(spec);
    const error = await b.startStep(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepStartError);
    expect((error as Error).message).toMatch(
      /^the cluster refused the step pod: Pod "kiln-.*" is invalid: .*memory/,
    );
    await b.destroyRun(spec.runId);
  });

  it('refuses an environment variable name a container cannot carry', async () => {
    const b = backend();
    const spec = step(randomUUID(), 'bad-env', ['true'], { env: { 'NOT VALID': 'x' } });
    await b.setupRun(spec);
    await expect(b.startStep(spec)).rejects.toThrow(/invalid environment variable name "NOT VALID"/);
    await b.destroyRun(spec.runId);
  });

  it('verifies access to its namespace and names the namespace when it cannot', async () => {
    await expect(backend().verify()).resolves.toBeUndefined();
    await expect(backend({ namespace: 'missing-namespace' }).verify()).rejects.toThrow(
      new Error(
        'the kubernetes backend cannot run steps in namespace missing-namespace: create configmaps failed (404): ' +
          'namespaces "missing-namespace" not found — namespace missing-namespace does not exist ' +
          '(KILN_K8S_NAMESPACE; the chart creates it with runs.createNamespace)',
      ),
    );
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}
