import { CoreV1Api, V1Container, V1Pod, V1PodSecurityContext } from '@kubernetes/client-node';
import { busyboxTestImage, testDocker } from '../docker-engine';
import { pushImage, startAuthRegistry } from '../registry-auth';
import { imageWithUser, KubeApiSimulator, kubeHelperTestImage, startKubeApiSimulator } from './index';

const NS = 'default';
const ROOT_IMAGE = 'kiln-test/busybox:1';
const USER_IMAGE = 'kiln-test/busybox-user-1000:1';
const NO_SHELL_IMAGE = 'kiln-test/no-shell:1';

interface ContainerStatusJson {
  name: string;
  state: {
    waiting?: { reason: string; message?: string };
    terminated?: { exitCode: number; reason: string; message?: string };
  };
}

describe('the simulator kubelet on the Docker Engine', () => {
  let sim: KubeApiSimulator;
  let core: CoreV1Api;
  let helperImage: string;

  beforeAll(async () => {
    const docker = testDocker();
    await busyboxTestImage(docker, ROOT_IMAGE);
    await busyboxTestImage(docker, NO_SHELL_IMAGE, { withoutShell: true });
    await imageWithUser(docker, ROOT_IMAGE, USER_IMAGE, '1000:1000');
    helperImage = await kubeHelperTestImage(docker);
    sim = await startKubeApiSimulator({ maxGraceMs: 500 });
    core = sim.clientConfig().makeApiClient(CoreV1Api);
  }, 120_000);

  afterAll(() => sim?.stop());

  async function runPod(
    name: string,
    container: Partial<V1Container>,
    spec: {
      securityContext?: V1PodSecurityContext;
      claim?: string;
      imagePullSecrets?: { name: string }[];
    } = {},
  ): Promise<{ status: ContainerStatusJson; log: string }> {
    const body: V1Pod = {
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        securityContext: spec.securityContext,
        imagePullSecrets: spec.imagePullSecrets,
        containers: [
          {
            name: 'main',
            image: ROOT_IMAGE,
            ...container,
            volumeMounts: spec.claim ? [{ name: 'data', mountPath: '/data', subPath: 'work' }] : [],
          },
        ],
        volumes: spec.claim ? [{ name: 'data', persistentVolumeClaim: { claimName: spec.claim } }] : [],
      },
    };
    await core.createNamespacedPod({ namespace: NS, body });
    const settled = await sim.waitFor('pods', NS, name, (p) => {
      const status = p?.status as { phase?: string; containerStatuses?: ContainerStatusJson[] } | undefined;
      const waiting = status?.containerStatuses?.[0]?.state.waiting?.reason;
      return ['Succeeded', 'Failed'].includes(status?.phase ?? '') || /Error|BackOff/.test(waiting ?? '');
    });
    const status = (settled?.status as { containerStatuses: ContainerStatusJson[] }).containerStatuses[0];
    const log = status.state.terminated
      ? await core.readNamespacedPodLog({ namespace: NS, name, container: 'main' })
      : '';
    return { status, log };
  }

  it("runs the container as the image's USER, or as runAsUser/runAsGroup when the pod sets them", async () => {
    const id = ['sh', '-c', 'id -u; id -g'];
    expect((await runPod('image-user', { image: USER_IMAGE, command: id })).log).toBe('1000\n1000\n');
    const overridden = await runPod(
      'pod-user',
      { image: USER_IMAGE, command: id },
      {
        securityContext: { runAsUser: 2000, runAsGroup: 3000 },
      },
    );
    expect(overridden.log).toBe('2000\n3000\n');
  });

  it('refuses runAsNonRoot for an image that runs as root, and starts it for an image with a non-root USER', async () => {
    const refused = await runPod('root-refused', {
      command: ['true'],
      securityContext: { runAsNonRoot: true },
    });
    expect(refused.status.state.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message:
        'container has runAsNonRoot and image will run as root (pod: "root-refused_default", container: main)',
    });
    const allowed = await runPod('nonroot-ok', {
      image: USER_IMAGE,
      command: ['true'],
      securityContext: { runAsNonRoot: true },
    });
    expect(allowed.status.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('lets a non-root container write to a root-owned volume only with fsGroup', async () => {
    const write = { image: USER_IMAGE, command: ['sh', '-c', 'echo x > /data/file && id -G'] };
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: 'owned' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    const denied = await runPod('no-fsgroup', write, { claim: 'owned' });
    expect(denied.status.state.terminated?.exitCode).not.toBe(0);
    expect(denied.log).toContain('Permission denied');
    const granted = await runPod('with-fsgroup', write, {
      claim: 'owned',
      securityContext: { fsGroup: 4000 },
    });
    expect(granted.status.state.terminated?.exitCode).toBe(0);
    expect(granted.log.trim().split(' ')).toContain('4000');
  });

  it('applies readOnlyRootFilesystem and dropped capabilities from the security context', async () => {
    const result = await runPod('locked', {
      command: ['sh', '-c', 'grep CapEff /proc/self/status; touch /probe || echo read-only'],
      securityContext: { readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    });
    expect(result.log).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(result.log).toContain('read-only');
  });

  it('reports OOMKilled when the container exceeds its memory limit', async () => {
    const result = await runPod('hog', {
      command: ['sh', '-c', 'tail /dev/zero'],
      resources: { limits: { memory: '16Mi' } },
    });
    expect(result.status.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('ends a container whose command is not in the image with StartError', async () => {
    const result = await runPod('no-shell', { image: NO_SHELL_IMAGE, command: ['sh', '-c', 'true'] });
    expect(result.status.state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(result.status.state.terminated?.message).toContain('"sh": executable file not found');
  });

  it('reports the termination message the container wrote', async () => {
    const result = await runPod('message', {
      command: ['sh', '-c', 'echo sha256:abc > /dev/termination-log'],
    });
    expect(result.status.state.terminated?.message).toBe('sha256:abc\n');
  });

  it('keeps pods off the network: containers have loopback only', async () => {
    const result = await runPod('offline', { command: ['sh', '-c', 'ls /sys/class/net'] });
    expect(result.log).toBe('lo\n');
  });

  it('runs git, flock and tar in the helper image as its non-root uid', async () => {
    const result = await runPod('helper', {
      image: helperImage,
      command: [
        'sh',
        '-c',
        'cd /tmp && git init -q r && flock /tmp/l true && tar -cf /dev/null r && echo ok',
      ],
      securityContext: { runAsUser: 65532, runAsNonRoot: true },
    });
    expect(result.log).toBe('ok\n');
  });

  it("pulls an image the engine lacks from a 127.0.0.1 registry with the pod's pull secret", async () => {
    const registry = await startAuthRegistry();
    try {
      const docker = testDocker();
      const image = `${registry.host}/team/private:1`;
      await pushImage(docker, ROOT_IMAGE, image, { ...registry, serveraddress: registry.host });
      await docker.getImage(image).remove();
      const withoutSecret = await runPod('pull-denied', { image, command: ['true'] });
      expect(withoutSecret.status.state.waiting?.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
      await core.deleteNamespacedPod({ namespace: NS, name: 'pull-denied', gracePeriodSeconds: 0 });
      const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      await core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: 'pull' },
          type: 'kubernetes.io/dockerconfigjson',
          stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [registry.host]: { auth } } }) },
        },
      });
      const pulled = await runPod(
        'pull-ok',
        { image, command: ['true'] },
        { imagePullSecrets: [{ name: 'pull' }] },
      );
      expect(pulled.status.state.terminated).toMatchObject({ exitCode: 0 });
    } finally {
      await registry.stop();
    }
  });
});
