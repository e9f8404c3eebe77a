import type { V1Pod } from '@kubernetes/client-node';
import { podSecurityProblems, PodSecuritySpec } from '@kiln/testing';
import { StepSpec } from '../backend';
import { stepPodManifest } from './manifests';
import { KUBERNETES_DEFAULTS } from './kubernetes.options';
import { podOutcome } from './pod-outcome';

const RUN_ID = '3f1c2b7a-9d4e-4c1a-8b2f-5e6d7c8a9b0c';
const IMAGE_REF = 'registry.example.com/shop:0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const buildStep: StepSpec = {
  runId: RUN_ID,
  repoUrl: 'https://git.example.com/shop.git',
  commitSha: '0123456789abcdef0123456789abcdef01234567',
  gitRef: 'refs/heads/main',
  stepId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  stepName: 'package',
  attempt: 1,
  image: '',
  commands: [],
  env: { CI: 'true' },
  timeoutMs: 600_000,
  resources: { memory: '2Gi' },
  build: { context: 'services/api', dockerfile: 'Dockerfile.prod', imageRef: IMAGE_REF },
};

const options = {
  ...KUBERNETES_DEFAULTS,
  stepRunAsUser: 1000,
  kanikoImage: 'mirror.example.com/kaniko:debug',
};

// No kaniko image can be pulled here (no outside registry), so kaniko itself never runs in these
// tests: they check the pod a build step gets and how its end is read.
describe('build steps on the kubernetes backend', () => {
  const manifest = stepPodManifest(
    buildStep,
    { podName: 'kiln-3f1c2b7a-package-1', owner: { runId: RUN_ID, uid: 'u-1' }, checkout: true },
    options,
  );

  it('runs kaniko on the context of the workspace volume, pushing the image ref and writing its digest as termination message', () => {
    expect(manifest.metadata?.annotations).toMatchObject({ 'kiln.dev/image-ref': IMAGE_REF });
    expect(manifest.spec?.containers).toEqual([
      expect.objectContaining({
        name: 'step',
        image: 'mirror.example.com/kaniko:debug',
        args: [
          '--context=dir:///workspace/services/api',
          '--dockerfile=/workspace/services/api/Dockerfile.prod',
          `--destination=${IMAGE_REF}`,
          '--digest-file=/dev/termination-log',
        ],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        securityContext: { allowPrivilegeEscalation: false },
      }),
    ]);
    expect(manifest.spec?.containers[0].command).toBeUndefined();
    expect(manifest.spec?.initContainers?.map((c) => c.name)).toEqual(['checkout']);
  });

  it('runs kaniko as root, so its pod passes Pod Security baseline but not restricted', () => {
    const spec = manifest.spec as PodSecuritySpec;
    expect(podSecurityProblems(spec, 'baseline')).toEqual([]);
    expect(podSecurityProblems(spec, 'restricted')).toContainEqual(
      expect.stringMatching(/^runAsNonRoot != true/),
    );
  });

  const ended = (exitCode: number, message?: string): V1Pod => ({
    ...manifest,
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: 'step',
          image: options.kanikoImage,
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message } },
        },
      ],
    },
  });
  const ctx = { gone: false, killed: false, settled: false };

  it('ends with the pushed image and the digest kaniko wrote', () => {
    expect(podOutcome(ended(0, `${DIGEST}`), ctx)).toEqual({
      exitCode: 0,
      pushedImage: `${IMAGE_REF}@${DIGEST}`,
    });
  });

  it('fails a build that ended well without a digest, and keeps a failed build a plain failure', () => {
    expect(podOutcome(ended(0, ''), ctx)).toEqual({
      exitCode: 0,
      error: `the image build ended without the pushed image's digest (termination message "")`,
    });
    expect(podOutcome(ended(1, 'error building image'), ctx)).toEqual({ exitCode: 1 });
  });
});
