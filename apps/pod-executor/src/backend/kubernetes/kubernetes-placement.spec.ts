import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubernetesSchemaProblems,
  kubeTestImages,
  startKubeApiSimulator,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepExit, StepSpec, StepStartError } from '../backend';
import { createKubernetesBackend, KubernetesBackend, KubernetesBackendOptions } from './index';

const NAMESPACE = 'kiln-builds';

interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string; affinity?: unknown };
}

describe('kubernetes backend: placement, volumes and the objects it creates', () => {
  let sim: KubeApiSimulator;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  const podNodes = new Map<string, string>();

  beforeAll(async () => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'placement\n' });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-k8s-collect-'));
    await kubeTestImages();
    sim = await startKubeApiSimulator({
      namespaces: [NAMESPACE],
      hostReadOnlyPaths: [repo.dir],
      storageClasses: ['standard', 'fast-ssd'],
      nodes: [
        { name: 'node-a', labels: { 'kiln.dev/builds': 'true' } },
        { name: 'node-b', labels: { 'kiln.dev/builds': 'true' } },
        { name: 'node-c' },
        {
          name: 'node-gpu',
          labels: { 'kiln.dev/gpu': 'true' },
          taints: [{ key: 'kiln.dev/gpu', value: 'true', effect: 'NoSchedule' }],
        },
      ],
    });
    sim.store.on('event', (event) => {
      const spec = (event.object as unknown as PodJson).spec;
      if (event.resource === 'pods' && spec?.nodeName)
        podNodes.set(event.object.metadata.name, spec.nodeName);
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
      collectDir,
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

  async function run(
    b: KubernetesBackend,
    spec: StepSpec,
  ): Promise<{ exit: StepExit; lines: string[]; pod: string }> {
    const handle = await b.startStep(spec);
    const lines: string[] = [];
    for await (const line of b.tailLogs(handle)) lines.push(line.text);
    return { exit: await b.wait(handle), lines, pod: handle.sandboxName };
  }

  const nodeOf = (pod: string) => podNodes.get(pod);

  it('pins every later pod of a run to the node of its first pod, so parallel steps share a ReadWriteOnce volume', async () => {
    const b = backend();
    const runId = randomUUID();
    await b.setupRun(step(runId, 'setup', []));
    const first = await run(b, step(runId, 'checkout', ['test -f README.md']));
    expect(first.exit).toEqual({ exitCode: 0 });
    // The two steps meet through the volume: each waits for the file of the other.
    const [left, right] = await Promise.all([
      run(
        b,
        step(runId, 'left', [
          'touch left.ready',
          'for i in $(seq 1 100); do test -f right.ready && break; sleep 0.05; done',
          'test -f right.ready',
        ]),
      ),
      run(
        b,
        step(runId, 'right', [
          'touch right.ready',
          'for i in $(seq 1 100); do test -f left.ready && break; sleep 0.05; done',
          'test -f left.ready',
        ]),
      ),
    ]);
    expect([left.exit, right.exit]).toEqual([{ exitCode: 0 }, { exitCode: 0 }]);
    const node = nodeOf(first.pod);
    expect(node).toBeDefined();
    expect([nodeOf(left.pod), nodeOf(right.pod)]).toEqual([node, node]);
    expect(sim.get('configmaps', NAMESPACE, `kiln-run-${runId}`)?.data).toMatchObject({
      node,
      checkout: 'done',
    });
    await b.destroyRun(runId);
  });

  it('does not pin pods when the volume is ReadWriteMany, and honours the node selector', async () => {
    const b = backend({ accessMode: 'ReadWriteMany', nodeSelector: { 'kiln.dev/builds': 'true' } });
    const runId = randomUUID();
    await b.setupRun(step(runId, 'setup', []));
    const pods: string[] = [];
    for (const name of ['one', 'two', 'three', 'four'])
      pods.push((await run(b, step(runId, name, ['true']))).pod);
    const nodes = new Set(pods.map(nodeOf));
    expect([...nodes].sort()).toEqual(['node-a', 'node-b']);
    expect(
      pods.every(
        (pod) =>
          !(sim.created.find((c) => c.body.metadata.name === pod)!.body.spec as PodJson['spec']).affinity,
      ),
    ).toBe(true);
    await b.destroyRun(runId);
  });

  it('creates only objects that match the official Kubernetes schemas, with secrets never inline', async () => {
    const createdBefore = sim.created.length;
    const b = backend({
      serviceAccount: 'kiln-step',
      storageClass: 'fast-ssd',
      workspaceSize: '2Gi',
      nodeSelector: { 'kiln.dev/builds': 'true' },
      tolerations: [{ key: 'builds', operator: 'Exists', effect: 'NoSchedule' }],
      stepRunAsUser: 1001,
      executorId: 'executor-7',
    });
    const runId = randomUUID();
    const projectId = randomUUID();
    const secretValue = `s3cr3t-${randomUUID()}`;
    await b.setupRun(step(runId, 'setup', []));
    const spec = step(
      runId,
      'Build & Test',
      ['echo "token has ${#DEPLOY_TOKEN} characters"', 'mkdir -p out', 'echo x > out/a'],
      {
        env: { DEPLOY_TOKEN: secretValue, CI: 'true' },
        projectId,
        resources: { cpu: '500m', memory: '256Mi' },
      },
    );
    const result = await run(b, spec);
    expect(result.exit).toEqual({ exitCode: 0 });
    expect(result.lines).toContain(`token has ${secretValue.length} characters`);
    expect(await b.workspaceDir(runId, ['out'])).toBe(join(collectDir, runId));

    const created = sim.created.slice(createdBefore);
    expect(created.map((c) => c.resource).sort()).toEqual([
      'configmaps',
      'persistentvolumeclaims',
      'pods',
      'pods',
      'secrets',
      'secrets',
    ]);
    for (const { resource, body } of created)
      expect({ [`${resource}/${body.metadata.name}`]: kubernetesSchemaProblems(resource, body) }).toEqual({
        [`${resource}/${body.metadata.name}`]: [],
      });

    const pod = created.find((c) => c.body.metadata.name === result.pod)!.body as never as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
    };
    expect(JSON.stringify(pod)).not.toContain(secretValue);
    expect(pod.metadata.labels).toMatchObject({
      'kiln.dev/run': runId,
      'kiln.dev/step': 'Build-Test',
      'kiln.dev/project': projectId,
      'kiln.dev/executor': 'executor-7',
    });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      serviceAccountName: 'kiln-step',
      nodeSelector: { 'kiln.dev/builds': 'true' },
      activeDeadlineSeconds: 60 + 300,
    });
    expect(pod.spec.tolerations).toEqual(
      expect.arrayContaining([{ key: 'builds', operator: 'Exists', effect: 'NoSchedule' }]),
    );
    expect(pod.spec.containers[0]).toMatchObject({
      image: KUBE_STEP_TEST_IMAGE,
      envFrom: [{ secretRef: { name: `${result.pod}-env` } }],
      resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      securityContext: { allowPrivilegeEscalation: false, runAsUser: 1001, runAsNonRoot: true },
    });
    expect(pod.spec.containers[0].env).toBeUndefined();
    const envSecret = created.find((c) => c.body.metadata.name === `${result.pod}-env`)!.body as never as {
      data: Record<string, string>;
    };
    expect(Buffer.from(envSecret.data.DEPLOY_TOKEN, 'base64').toString()).toBe(secretValue);
    const claim = created.find((c) => c.resource === 'persistentvolumeclaims')!.body as never as {
      spec: unknown;
    };
    expect(claim.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '2Gi' } },
      storageClassName: 'fast-ssd',
    });
    await b.destroyRun(runId);
  });

  it("runs a step on the node its node_selector and tolerations ask for, within the operator's allow-lists", async () => {
    const free = backend({
      allowedNodeSelectors: ['kiln.dev/gpu=true'],
      allowedTolerations: ['kiln.dev/gpu'],
    });
    const runId = randomUUID();
    await free.setupRun(step(runId, 'setup', []));
    const trained = await run(
      free,
      step(runId, 'train', ['true'], {
        nodeSelector: { 'kiln.dev/gpu': 'true' },
        tolerations: [{ key: 'kiln.dev/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      }),
    );
    expect(trained.exit).toEqual({ exitCode: 0 });
    expect(nodeOf(trained.pod)).toBe('node-gpu');
    const spec = sim.created.find((c) => c.body.metadata.name === trained.pod)!.body.spec as {
      nodeSelector: Record<string, string>;
      tolerations: { key: string }[];
    };
    expect(spec.nodeSelector).toEqual({ 'kiln.dev/gpu': 'true' });
    expect(spec.tolerations).toContainEqual({
      key: 'kiln.dev/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    await free.destroyRun(runId);
  });

  it('refuses a step whose node_selector or tolerations the operator does not allow, naming them and the setting', async () => {
    const b = backend({
      allowedNodeSelectors: ['kubernetes.io/arch', 'kiln.dev/gpu=true'],
      allowedTolerations: ['spot=true'],
    });
    const runId = randomUUID();
    await b.setupRun(step(runId, 'setup', []));
    const podsBefore = sim.list('pods', NAMESPACE).length;
    const refused = await b
      .startStep(
        step(runId, 'sneaky', ['true'], {
          nodeSelector: {
            'kubernetes.io/arch': 'arm64',
            'kiln.dev/gpu': 'false',
            'node-role.kubernetes.io/control-plane': '',
          },
          tolerations: [
            { key: 'spot', operator: 'Exists' },
            { key: 'spot', operator: 'Equal', value: 'true' },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StepStartError);
    expect((refused as Error).message).toBe(
      [
        'node_selector kiln.dev/gpu: false is not allowed on this cluster (KILN_K8S_ALLOWED_NODE_SELECTORS: it allows kubernetes.io/arch, kiln.dev/gpu=true)',
        'node_selector node-role.kubernetes.io/control-plane:  is not allowed on this cluster (KILN_K8S_ALLOWED_NODE_SELECTORS: it allows kubernetes.io/arch, kiln.dev/gpu=true)',
        'toleration of spot is not allowed on this cluster (KILN_K8S_ALLOWED_TOLERATIONS: it allows spot=true)',
      ].join('; '),
    );
    expect(sim.list('pods', NAMESPACE)).toHaveLength(podsBefore);
    const none = await backend()
      .startStep(step(runId, 'any', ['true'], { nodeSelector: { 'kiln.dev/gpu': 'true' } }))
      .catch((e: unknown) => e);
    expect((none as Error).message).toBe(
      'node_selector kiln.dev/gpu: true is not allowed on this cluster (KILN_K8S_ALLOWED_NODE_SELECTORS: it allows none)',
    );
    await b.destroyRun(runId);
  });
});
