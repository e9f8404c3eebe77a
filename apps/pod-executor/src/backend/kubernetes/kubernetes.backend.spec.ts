import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  podSecurityProblems,
  PodSecuritySpec,
  startKubeApiSimulator,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputLine, StepExit, StepHandle, StepSpec, WorkspaceSetupError } from '../backend';
import { createKubernetesBackend, KubernetesBackend, KubernetesBackendOptions } from './index';

const NAMESPACE = 'kiln-builds';

describe('kubernetes backend against the API server simulator', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  const refusedPods: string[] = [];

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'hello from the repository\n' });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-k8s-collect-'));
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      podSecurity: { [NAMESPACE]: 'restricted' },
      hostReadOnlyPaths: [repo.dir],
      maxGraceMs: 1000,
    });
    // Checked before the simulator's own admission, so a refused pod is named here too.
    sim.addAdmissionHook((resource, object) => {
      if (resource !== 'pods') return;
      const problems = podSecurityProblems(object.spec as PodSecuritySpec, 'restricted');
      if (problems.length) refusedPods.push(`${object.metadata.name}: ${problems.join(', ')}`);
    });
  });

  afterAll(async () => {
    await sim?.stop();
    repo?.remove();
    rmSync(collectDir, { recursive: true, force: true });
  });

  function backend(options: Partial<KubernetesBackendOptions> = {}): KubernetesBackend {
    return createKubernetesBackend({
      namespace: NAMESPACE,
      kubeConfig: sim.clientConfig(NAMESPACE),
      helperImage: KUBE_HELPER_TEST_IMAGE,
      killGracePeriodSeconds: 1,
      logDrainTimeoutMs: 5000,
      collectDir,
      ...options,
    });
  }

  function step(runId: string, name: string, commands: string[], extra: Partial<StepSpec> = {}): StepSpec {
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: name,
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands,
      env: { CI: 'true' },
      timeoutMs: 60_000,
      ...extra,
    };
  }

  async function run(
    b: KubernetesBackend,
    spec: StepSpec,
  ): Promise<{ handle: StepHandle; lines: OutputLine[]; exit: StepExit }> {
    await b.setupRun(spec);
    const handle = await b.startStep(spec);
    const lines: OutputLine[] = [];
    for await (const line of b.tailLogs(handle)) lines.push(line);
    return { handle, lines, exit: await b.wait(handle) };
  }

  const texts = (lines: OutputLine[]) => lines.map((l) => l.text);

  it('runs a step as a pod with the checked-out repository and reports its output and exit code 0', async () => {
    const b = backend();
    const runId = randomUUID();
    const result = await run(
      b,
      step(runId, 'build', ['echo "on $(hostname)"', 'cat README.md', 'echo "CI=$CI"']),
    );
    expect(result.exit).toEqual({ exitCode: 0 });
    expect(texts(result.lines)).toEqual([
      '+ echo "on $(hostname)"',
      `on ${result.handle.sandboxName}`,
      '+ cat README.md',
      'hello from the repository',
      '+ echo "CI=$CI"',
      'CI=true',
    ]);
    expect(result.lines.every((l) => l.ts > Date.now() - 60_000 && l.ts <= Date.now())).toBe(true);
    expect(sim.get('pods', NAMESPACE, result.handle.sandboxName)).toBeUndefined();
    await b.destroyRun(runId);
  });

  it('reports exit code 3 when a command exits 3 and runs nothing after it', async () => {
    const b = backend();
    const runId = randomUUID();
    const result = await run(b, step(runId, 'test', ['echo before', 'exit 3', 'echo never']));
    expect(result.exit).toEqual({ exitCode: 3 });
    expect(texts(result.lines)).toEqual(['+ echo before', 'before', '+ exit 3']);
    await b.destroyRun(runId);
  });

  it('shares the workspace between the steps of a run and clones the repository once', async () => {
    const b = backend();
    const runId = randomUUID();
    const first = await run(b, step(runId, 'build', ['echo built > output.txt', 'cat .git/HEAD']));
    expect(first.exit.exitCode).toBe(0);
    expect(texts(first.lines)).toContain(sha);
    const second = await run(b, step(runId, 'test', ['cat output.txt', 'ls -a']));
    expect(second.exit.exitCode).toBe(0);
    expect(texts(second.lines)).toContain('built');
    const firstPod = sim.created.find(
      (c) => c.resource === 'pods' && c.body.metadata.name === first.handle.sandboxName,
    );
    const secondPod = sim.created.find(
      (c) => c.resource === 'pods' && c.body.metadata.name === second.handle.sandboxName,
    );
    expect((firstPod!.body.spec as { initContainers?: unknown[] }).initContainers).toHaveLength(1);
    expect((secondPod!.body.spec as { initContainers?: unknown[] }).initContainers).toBeUndefined();
    await b.destroyRun(runId);
  });

  it('refuses a run whose commit is not a sha before creating anything', async () => {
    const b = backend();
    const runId = randomUUID();
    await expect(
      b.setupRun({ runId, repoUrl: repo.url, commitSha: 'not-a-sha', gitRef: '' }),
    ).rejects.toBeInstanceOf(WorkspaceSetupError);
    expect(sim.list('configmaps', NAMESPACE, `kiln.dev/run=${runId}`)).toHaveLength(0);
  });

  it('copies artifacts out of the run volume into a local directory', async () => {
    const b = backend();
    const runId = randomUUID();
    const result = await run(
      b,
      step(runId, 'build', ['mkdir -p target/out', 'echo report > target/out/report.txt']),
    );
    expect(result.exit.exitCode).toBe(0);
    const dir = await b.workspaceDir(runId, ['target/out', 'missing/path']);
    expect(readFileSync(join(dir!, 'target/out/report.txt'), 'utf8')).toBe('report\n');
    await b.destroyRun(runId);
    expect(await b.workspaceDir(runId)).toBeNull();
  });

  it("runs the step's services as containers of its pod, reachable on localhost and by name, their output in the step's log, and ends with the step", async () => {
    const b = backend();
    const runId = randomUUID();
    const connect = (host: string, port: number) =>
      `for i in $(seq 1 50); do if echo ping | nc ${host} ${port} > answer; then break; fi; sleep 0.1; done; cat answer`;
    const result = await run(
      b,
      // The pause: each service's own log stream, not the step's, carries what it writes after
      // serving. (Not the client's "ping" that busybox nc may print: it can quit at the end of its
      // own input before reading it, so whether it prints it is a race of nc's, not of Kiln's.)
      step(runId, 'test', [connect('127.0.0.1', 8080), connect('cache', 8081), 'sleep 1'], {
        services: [
          { name: 'db', image: KUBE_STEP_TEST_IMAGE, environment: { GREETING: 'hello from the service' }, secretEnvironment: { PASSWORD: 'pg-s3cret' }, commands: ['echo db up', 'echo "$GREETING, $PASSWORD" | nc -l -p 8080', 'echo db served', 'sleep 600'] },
          { name: 'cache', image: KUBE_STEP_TEST_IMAGE, environment: {}, commands: ['echo cache answers | nc -l -p 8081', 'echo cache served', 'sleep 600'] },
        ],
      }),
    );
    expect(result.exit).toEqual({ exitCode: 0 });
    expect(texts(result.lines)).toEqual(
      expect.arrayContaining(['hello from the service, pg-s3cret', 'cache answers', '[db] db up', '[db] db served', '[cache] cache served']),
    );
    const created = sim.created.find((c) => c.resource === 'pods' && c.body.metadata.name === result.handle.sandboxName);
    const spec = created!.body.spec as { containers: { name: string; env?: unknown[] }[]; hostAliases: unknown };
    expect(spec.containers.map((c) => c.name)).toEqual(['service-0-db', 'service-1-cache', 'step']);
    // The secret variable is a reference into a Secret of the services, never a value in the pod.
    const servicesSecret = `${result.handle.sandboxName}-services`;
    expect(spec.containers[0].env).toEqual([
      { name: 'GREETING', value: 'hello from the service' },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: servicesSecret, key: '0.PASSWORD' } } },
    ]);
    expect(JSON.stringify(created!.body)).not.toContain('pg-s3cret');
    const secret = sim.created.find((c) => c.resource === 'secrets' && c.body.metadata.name === servicesSecret);
    expect(secret?.body.data).toEqual({ '0.PASSWORD': Buffer.from('pg-s3cret').toString('base64') });
    expect(sim.get('secrets', NAMESPACE, servicesSecret)).toBeUndefined();
    expect(spec.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['db', 'cache'] }]);
    expect(sim.get('pods', NAMESPACE, result.handle.sandboxName)).toBeUndefined();
    await b.destroyRun(runId);
  });

  it("starts the step's commands once a service's wait_for port listens, and fails the step naming a service that never does", async () => {
    const b = backend();
    const runId = randomUUID();
    const slow = { name: 'slow', image: KUBE_STEP_TEST_IMAGE, environment: {}, commands: ['sleep 1', 'echo ready | nc -l -p 8082'], waitFor: { port: 8082, timeoutMs: 20_000 } };
    const ready = await run(b, step(runId, 'test', ['echo ping | nc 127.0.0.1 8082'], { services: [slow] }));
    expect(ready.exit).toEqual({ exitCode: 0 });
    expect(texts(ready.lines)).toContain('ready');

    const silent = { name: 'db', image: KUBE_STEP_TEST_IMAGE, environment: {}, commands: ['sleep 600'], waitFor: { port: 5432, timeoutMs: 1000 } };
    const failed = await run(b, step(runId, 'check', ['echo never'], { services: [silent] }));
    expect(failed.exit).toEqual({ exitCode: 1 });
    expect(texts(failed.lines)).toEqual(['service "db" did not accept connections on port 5432 within 1s']);
    await b.destroyRun(runId);
  });

  it('creates step, checkout and collector pods that all pass Pod Security restricted', () => {
    const kinds = new Set(
      sim.created
        .filter((c) => c.resource === 'pods')
        .map((c) => c.body.metadata.labels?.['app.kubernetes.io/component']),
    );
    expect(kinds).toEqual(new Set(['step', 'collect']));
    expect(refusedPods).toEqual([]);
  });
});
