import { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { busyboxTestImage, testDocker } from '../docker-engine';
import { KubeApiSimulator, startKubeApiSimulator } from './index';

const NS = 'default';
const IMAGE = 'kiln-test/busybox:1';

interface Scheduled {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

describe('the simulator scheduler', () => {
  let sim: KubeApiSimulator;
  let core: CoreV1Api;

  beforeAll(async () => {
    await busyboxTestImage(testDocker(), IMAGE);
    sim = await startKubeApiSimulator({
      nodes: [
        { name: 'small', allocatable: { cpu: '1', memory: '1Gi' } },
        { name: 'gpu', taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] },
      ],
      // No default class (EKS without its CSI driver): a claim naming no class never binds.
      storageClasses: ['fast'],
      defaultStorageClass: false,
    });
    core = sim.clientConfig().makeApiClient(CoreV1Api);
  });

  afterAll(() => sim?.stop());

  const pod = (name: string, spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: IMAGE, command: ['sleep', '30'] }],
      ...spec,
    },
  });
  const scheduledCondition = async (name: string) => {
    const object = await sim.waitFor('pods', NS, name, (p) =>
      Boolean((p?.status as Scheduled | undefined)?.conditions?.some((c) => c.type === 'PodScheduled')),
    );
    return (object?.status as Scheduled).conditions!.find((c) => c.type === 'PodScheduled');
  };

  it('leaves a pod asking for more CPU than any node has Pending, Unschedulable with the reasons per node', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('greedy', {
        containers: [
          { name: 'main', image: IMAGE, command: ['true'], resources: { requests: { cpu: '2' } } },
        ],
        nodeSelector: { 'kubernetes.io/hostname': 'small' },
      }),
    });
    expect(await scheduledCondition('greedy')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message:
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.",
    });
    expect((sim.get('pods', NS, 'greedy')?.status as Scheduled).phase).toBe('Pending');
  });

  it('keeps a pod off a tainted node unless it tolerates the taint', async () => {
    const onGpu = { nodeSelector: { 'kubernetes.io/hostname': 'gpu' } };
    await core.createNamespacedPod({ namespace: NS, body: pod('untolerated', onGpu) });
    expect((await scheduledCondition('untolerated'))?.message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {gpu: true}.",
    );
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('tolerated', {
        ...onGpu,
        tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      }),
    });
    expect(await scheduledCondition('tolerated')).toMatchObject({ status: 'True' });
    expect((sim.get('pods', NS, 'tolerated')?.spec as { nodeName?: string }).nodeName).toBe('gpu');
  });

  it('leaves a PVC naming no class Pending without a default class, and its pod unschedulable', async () => {
    const claim = (name: string, storageClassName?: string) => ({
      metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(storageClassName ? { storageClassName } : {}),
      },
    });
    await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('data') });
    const volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    await core.createNamespacedPod({ namespace: NS, body: pod('needs-volume', { volumes }) });
    expect((await scheduledCondition('needs-volume'))?.message).toBe(
      '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect((sim.get('persistentvolumeclaims', NS, 'data')?.status as { phase: string }).phase).toBe(
      'Pending',
    );

    await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('fast-data', 'fast') });
    const fast = [{ name: 'data', persistentVolumeClaim: { claimName: 'fast-data' } }];
    await core.createNamespacedPod({ namespace: NS, body: pod('bound-volume', { volumes: fast }) });
    expect(await scheduledCondition('bound-volume')).toMatchObject({ status: 'True' });
  });
});
