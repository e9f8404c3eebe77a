import type { V1ContainerState, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { OutcomeContext, podOutcome } from './pod-outcome';

const running: OutcomeContext = { gone: false, killed: false, settled: false };

function pod(status: V1PodStatus, extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: 'kiln-12345678-build-1', ...extra.metadata },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'step', image: 'node:20', resources: { limits: { memory: '1Gi' } } }],
      ...extra.spec,
    },
    status,
  };
}

const step = (state: V1ContainerState) => [
  { name: 'step', image: 'node:20', imageID: '', ready: false, restartCount: 0, state },
];
const checkout = (state: V1ContainerState) => [
  { name: 'checkout', image: 'helper', imageID: '', ready: false, restartCount: 0, state },
];
const ended = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error') => ({
  terminated: { exitCode, reason },
});

describe('podOutcome', () => {
  it('is undecided while the step container runs or waits to be created', () => {
    expect(
      podOutcome(pod({ phase: 'Running', containerStatuses: step({ running: {} }) }), running),
    ).toBeUndefined();
    expect(
      podOutcome(
        pod({ phase: 'Pending', containerStatuses: step({ waiting: { reason: 'ContainerCreating' } }) }),
        running,
      ),
    ).toBeUndefined();
    expect(
      podOutcome(
        pod({
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
        }),
        running,
      ),
    ).toBeUndefined();
  });

  it('takes the exit code of the terminated container once the pod phase agrees', () => {
    expect(podOutcome(pod({ phase: 'Succeeded', containerStatuses: step(ended(0)) }), running)).toEqual({
      exitCode: 0,
    });
    expect(podOutcome(pod({ phase: 'Failed', containerStatuses: step(ended(3)) }), running)).toEqual({
      exitCode: 3,
    });
  });

  it('waits for the pod phase after the container ended, unless that takes too long', () => {
    const lagging = pod({ phase: 'Running', containerStatuses: step(ended(0)) });
    expect(podOutcome(lagging, running)).toBeUndefined();
    expect(podOutcome(lagging, { ...running, settled: true })).toEqual({ exitCode: 0 });
  });

  it('takes a succeeded step of a pod with services at once, though the services keep the pod running', () => {
    const withService = {
      spec: {
        containers: [
          { name: 'service-0-db', image: 'postgres:16' },
          { name: 'step', image: 'node:20' },
        ],
      },
    };
    const service = {
      name: 'service-0-db',
      image: 'postgres:16',
      imageID: '',
      ready: true,
      restartCount: 0,
      state: { running: {} },
    };
    const status = (exitCode: number) => ({
      phase: 'Running',
      containerStatuses: [service, ...step(ended(exitCode))],
    });
    expect(podOutcome(pod(status(0), withService), running)).toEqual({ exitCode: 0 });
    expect(podOutcome(pod(status(2), withService), running)).toBeUndefined();
    expect(podOutcome(pod(status(2), withService), { ...running, settled: true })).toEqual({ exitCode: 2 });
  });

  it("fails the step when a service's image cannot be pulled", () => {
    const service = {
      name: 'service-0-db',
      image: 'registry.example.com/db:1',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
    };
    const exit = podOutcome(
      pod({ phase: 'Pending', containerStatuses: [service, ...step({ running: {} })] }),
      running,
    );
    expect(exit).toEqual({
      exitCode: null,
      error: 'image pull failed (ImagePullBackOff) for "registry.example.com/db:1": Back-off pulling image',
    });
  });

  it('reports OOMKilled with the memory limit', () => {
    const oom = pod({
      phase: 'Failed',
      containerStatuses: step({ terminated: { exitCode: 137, reason: 'OOMKilled' } }),
    });
    expect(podOutcome(oom, running)).toEqual({
      exitCode: 137,
      error: 'OOMKilled: the step used more memory than its limit of 1Gi',
    });
  });

  it('reports an eviction instead of the exit code of the container it killed', () => {
    const evicted = pod({
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: ephemeral-storage.',
      containerStatuses: step(ended(137)),
    });
    expect(podOutcome(evicted, running)).toEqual({
      exitCode: null,
      error: 'pod evicted: The node was low on resource: ephemeral-storage.',
    });
    const drained = pod({
      phase: 'Running',
      conditions: [
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
        },
      ],
      containerStatuses: step({ running: {} }),
    });
    expect(podOutcome(drained, running)?.error).toBe('pod evicted: Eviction API: evicting');
  });

  it('reports a lost node from the taint manager condition or an Unknown phase', () => {
    const tainted = pod({
      phase: 'Running',
      conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }],
      containerStatuses: step({ running: {} }),
    });
    expect(podOutcome(tainted, running)?.error).toMatch(/^node lost: node node-a stopped responding/);
    expect(podOutcome(pod({ phase: 'Unknown' }), running)?.error).toMatch(/^node lost/);
  });

  it('never reports a pod deleted by someone else as a success, whatever its container says', () => {
    const deleting = { metadata: { name: 'p', deletionTimestamp: new Date() } };
    expect(
      podOutcome(pod({ phase: 'Running', containerStatuses: step({ running: {} }) }, deleting), running)
        ?.error,
    ).toMatch(/^pod deleted/);
    expect(
      podOutcome(pod({ phase: 'Failed', containerStatuses: step(ended(143)) }, deleting), running)?.error,
    ).toMatch(/^pod deleted/);
    expect(
      podOutcome(pod({ phase: 'Running', containerStatuses: step({ running: {} }) }), {
        ...running,
        gone: true,
      })?.error,
    ).toMatch(/^pod deleted/);
  });

  it('reports image and container creation failures with the kubelet message', () => {
    const pull = pod({
      phase: 'Pending',
      containerStatuses: step({
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "node:20"' },
      }),
    });
    expect(podOutcome(pull, running)).toEqual({
      exitCode: null,
      error: 'image pull failed (ImagePullBackOff) for "node:20": Back-off pulling image "node:20"',
    });
    const config = pod({
      phase: 'Pending',
      containerStatuses: step({
        waiting: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' },
      }),
    });
    expect(podOutcome(config, running)?.error).toBe(
      'the container could not be created (CreateContainerConfigError): secret "x" not found',
    );
  });

  it('waits out one failed pull attempt and ends at the back-off with the registry answer', () => {
    const notFound = 'Failed to pull image "node:20": rpc error: code = NotFound desc = not found';
    const attempt = pod({
      phase: 'Pending',
      containerStatuses: step({ waiting: { reason: 'ErrImagePull', message: notFound } }),
    });
    expect(podOutcome(attempt, { ...running, pullErrors: { step: notFound } })).toBeUndefined();
    const backOff = pod({
      phase: 'Pending',
      containerStatuses: step({
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "node:20"' },
      }),
    });
    expect(podOutcome(backOff, { ...running, pullErrors: { step: notFound } })).toEqual({
      exitCode: null,
      error: `image pull failed (ImagePullBackOff) for "node:20": Back-off pulling image "node:20"; ${notFound}`,
    });
    expect(podOutcome(attempt, { ...running, pullErrors: { step: notFound }, pullStalled: true })).toEqual({
      exitCode: null,
      error: `image pull failed (ErrImagePull) for "node:20": ${notFound}`,
    });
  });

  it('reports a failed checkout from the init container', () => {
    const failed = pod({
      phase: 'Failed',
      initContainerStatuses: checkout(ended(128)),
      containerStatuses: step({ waiting: { reason: 'PodInitializing' } }),
    });
    expect(podOutcome(failed, running)).toEqual({
      exitCode: null,
      error: 'checking the repository out failed (exit code 128); see the log',
    });
  });

  it('waits for the reason of a killed checkout: the deadline, not a failed checkout', () => {
    const killed = {
      initContainerStatuses: checkout(ended(137)),
      containerStatuses: step({ waiting: { reason: 'PodInitializing' } }),
    };
    const spec = { spec: { containers: [], activeDeadlineSeconds: 1 } };
    expect(podOutcome(pod({ phase: 'Pending', ...killed }, spec), running)).toBeUndefined();
    expect(
      podOutcome(pod({ phase: 'Failed', reason: 'DeadlineExceeded', ...killed }, spec), running)?.error,
    ).toBe('the pod ran past its deadline (activeDeadlineSeconds 1) and was stopped');
  });

  it('reports a pod stopped at its deadline', () => {
    const late = pod(
      { phase: 'Failed', reason: 'DeadlineExceeded', containerStatuses: step(ended(137)) },
      { spec: { containers: [], activeDeadlineSeconds: 90 } },
    );
    expect(podOutcome(late, running)?.error).toBe(
      'the pod ran past its deadline (activeDeadlineSeconds 90) and was stopped',
    );
  });

  it('reports a step this executor killed with the signal, once it stopped or vanished', () => {
    const killed = { ...running, killed: true };
    expect(
      podOutcome(pod({ phase: 'Running', containerStatuses: step({ running: {} }) }), killed),
    ).toBeUndefined();
    expect(podOutcome(pod({ phase: 'Failed', containerStatuses: step(ended(143)) }), killed)).toEqual({
      exitCode: 143,
      signal: 'SIGTERM',
    });
    expect(podOutcome(pod({ phase: 'Failed', containerStatuses: step(ended(137)) }), killed)).toEqual({
      exitCode: 137,
      signal: 'SIGKILL',
    });
    expect(podOutcome(pod({ phase: 'Pending' }), { ...killed, gone: true })).toEqual({
      exitCode: null,
      signal: 'SIGKILL',
    });
  });
});
