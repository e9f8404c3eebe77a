import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  podSecurityProblems,
  PodSecuritySpec,
  pushImage,
  startAuthRegistry,
  startKubeApiSimulator,
  TestGitRepo,
  testDocker,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputLine, StepSpec, StepStartError } from '../backend';
import {
  createKubernetesBackend,
  KUBERNETES_DEFAULTS,
  KubernetesBackend,
  KubernetesBackendOptions,
} from './index';
import { stepPodManifest } from './manifests';

const RESTRICTED = 'kiln-restricted';
const BASELINE = 'kiln-baseline';

describe('kubernetes backend hardening (Pod Security admission on the simulator)', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'hardened\n' });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-k8s-collect-'));
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [RESTRICTED, BASELINE],
      podSecurity: { [RESTRICTED]: 'restricted', [BASELINE]: 'baseline' },
      hostReadOnlyPaths: [repo.dir],
      maxGraceMs: 1000,
    });
  });

  afterAll(async () => {
    await sim?.stop();
    repo?.remove();
    rmSync(collectDir, { recursive: true, force: true });
  });

  function backend(options: Partial<KubernetesBackendOptions> = {}): KubernetesBackend {
    const namespace = options.namespace ?? RESTRICTED;
    return createKubernetesBackend({
      namespace,
      kubeConfig: sim.clientConfig(namespace),
      helperImage: KUBE_HELPER_TEST_IMAGE,
      killGracePeriodSeconds: 1,
      logDrainTimeoutMs: 5000,
      defaultResources: { cpu: '500m', memory: '256Mi' },
      collectDir,
      ...options,
    });
  }

  function step(runId: string, commands: string[], extra: Partial<StepSpec> = {}): StepSpec {
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'check',
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands,
      env: {},
      timeoutMs: 60_000,
      ...extra,
    };
  }

  async function run(b: KubernetesBackend, spec: StepSpec): Promise<{ exit: unknown; out: string[] }> {
    await b.setupRun(spec);
    const handle = await b.startStep(spec);
    const lines: OutputLine[] = [];
    for await (const line of b.tailLogs(handle)) lines.push(line);
    const exit = await b.wait(handle);
    await b.destroyRun(spec.runId);
    return { exit, out: lines.map((l) => l.text).filter((t) => !t.startsWith('+ ')) };
  }

  it('runs a step at PSA restricted as uid 1000 without capabilities, writing the workspace', async () => {
    const result = await run(
      backend(),
      step(randomUUID(), ['id -u', 'id -g', 'grep CapEff /proc/self/status', 'touch ok']),
    );
    expect(result.exit).toEqual({ exitCode: 0 });
    expect(result.out).toEqual(['1000', '1000', 'CapEff:\t0000000000000000']);
  });

  it("runs a step as its own uid:gid from the definition's user", async () => {
    const result = await run(backend(), step(randomUUID(), ['id -u', 'id -g'], { user: '4321:4322' }));
    expect(result.exit).toEqual({ exitCode: 0 });
    expect(result.out).toEqual(['4321', '4322']);
  });

  it('refuses user 0 and user names when root is not allowed, naming the setting', async () => {
    const b = backend();
    const runId = randomUUID();
    await b.setupRun(step(runId, ['true']));
    await expect(b.startStep(step(runId, ['true'], { user: '0' }))).rejects.toThrow(/KILN_K8S_ALLOW_ROOT/);
    await expect(b.startStep(step(runId, ['true'], { user: 'builder' }))).rejects.toBeInstanceOf(
      StepStartError,
    );
    await b.destroyRun(runId);
  });

  it('runs root steps only where root is allowed, keeping the documented capabilities (baseline)', async () => {
    const rootOptions = { allowRoot: true, stepRunAsUser: undefined };
    const refused = backend(rootOptions);
    const runId = randomUUID();
    await refused.setupRun(step(runId, ['true']));
    await expect(refused.startStep(step(runId, ['true']))).rejects.toThrow(
      /violates PodSecurity "restricted:latest"/,
    );
    await refused.destroyRun(runId);

    const result = await run(
      backend({ ...rootOptions, namespace: BASELINE }),
      step(randomUUID(), ['id -u', 'grep CapEff /proc/self/status']),
    );
    expect(result.exit).toEqual({ exitCode: 0 });
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID: bits 0, 1, 3, 4, 5, 6, 7.
    expect(result.out).toEqual(['0', 'CapEff:\t00000000000000fb']);
  });

  it("pulls a private step image with the project's registry credentials, removed with the run", async () => {
    const registry = await startAuthRegistry();
    try {
      const docker = testDocker();
      const image = `${registry.host}/team/private-step:1`;
      await pushImage(docker, KUBE_STEP_TEST_IMAGE, image, { ...registry, serveraddress: registry.host });
      await docker.getImage(image).remove();
      const b = backend();
      const spec = step(randomUUID(), ['echo pulled'], {
        image,
        registryCredentials: [
          { server: registry.host, username: registry.username, password: registry.password },
        ],
      });
      await b.setupRun(spec);
      const handle = await b.startStep(spec);
      const secret = sim.get('secrets', RESTRICTED, `kiln-run-${spec.runId}-registry`);
      expect(secret?.type).toBe('kubernetes.io/dockerconfigjson');
      for await (const line of b.tailLogs(handle)) void line;
      expect(await b.wait(handle)).toEqual({ exitCode: 0 });
      await b.destroyRun(spec.runId);
      expect(sim.get('secrets', RESTRICTED, `kiln-run-${spec.runId}-registry`)).toBeUndefined();
    } finally {
      await registry.stop();
    }
  });
});

describe('step pod manifest', () => {
  const owner = { runId: 'r1', uid: 'u1' };
  const spec: StepSpec = {
    runId: 'r1',
    repoUrl: 'https://git.example/x.git',
    commitSha: 'a'.repeat(40),
    gitRef: '',
    stepId: 's1',
    stepName: 'build',
    attempt: 1,
    image: 'node:20',
    commands: ['npm test'],
    env: {},
    timeoutMs: 60_000,
  };

  it('sets the runtime and priority class, pull secrets and default resources from the settings', () => {
    const pod = stepPodManifest(
      { ...spec, resources: { memory: '3Gi' } },
      { podName: 'p', owner, checkout: true, registrySecret: 'kiln-run-r1-registry' },
      {
        ...KUBERNETES_DEFAULTS,
        runtimeClassName: 'gvisor',
        priorityClassName: 'ci-low',
        imagePullSecrets: ['org-pull'],
        defaultResources: { cpu: '750m', memory: '1Gi' },
      },
    );
    expect(pod.spec).toMatchObject({
      runtimeClassName: 'gvisor',
      priorityClassName: 'ci-low',
      imagePullSecrets: [{ name: 'org-pull' }, { name: 'kiln-run-r1-registry' }],
    });
    expect(pod.spec!.containers[0].resources).toEqual({
      requests: { cpu: '750m', memory: '3Gi' },
      limits: { cpu: '750m', memory: '3Gi' },
    });
    expect(podSecurityProblems(pod.spec as PodSecuritySpec, 'restricted')).toEqual([]);
  });

  it("gives a build pod the run's registry Secret as kaniko's config; it passes baseline", () => {
    const pod = stepPodManifest(
      {
        ...spec,
        image: '',
        commands: [],
        build: { context: '.', dockerfile: 'Dockerfile', imageRef: 'r/x:1' },
      },
      { podName: 'p', owner, checkout: false, registrySecret: 'kiln-run-r1-registry' },
      KUBERNETES_DEFAULTS,
    );
    expect(pod.spec!.volumes).toContainEqual({
      name: 'registry-auth',
      secret: {
        secretName: 'kiln-run-r1-registry',
        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
      },
    });
    expect(pod.spec!.containers[0].volumeMounts).toContainEqual({
      name: 'registry-auth',
      mountPath: '/kaniko/.docker',
      readOnly: true,
    });
    expect(podSecurityProblems(pod.spec as PodSecuritySpec, 'baseline')).toEqual([]);
  });
});
