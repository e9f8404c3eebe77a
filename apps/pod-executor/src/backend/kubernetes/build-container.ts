import type { V1Container } from '@kubernetes/client-node';
import { StepSpec } from '../backend';
import { WORKSPACE_SUBPATH } from './checkout-script';
import { KubernetesBackendOptions } from './kubernetes.options';
import { envSecretName, STEP_CONTAINER, WORKSPACE_VOLUME } from './names';

/** Where kaniko writes the pushed digest: the container's termination message, read from its status. */
const DIGEST_FILE = '/dev/termination-log';

/**
 * A build step's container: kaniko builds `context` of the run's workspace and pushes `imageRef`
 * without a Docker daemon. It runs as root (it unpacks images into its own filesystem), so the
 * executor's step user does not apply; privilege escalation stays off.
 */
export function kanikoContainer(
  build: NonNullable<StepSpec['build']>,
  podName: string,
  options: KubernetesBackendOptions,
): V1Container {
  const context = build.context === '.' ? '/workspace' : `/workspace/${build.context}`;
  return {
    name: STEP_CONTAINER,
    image: options.kanikoImage,
    args: [
      `--context=dir://${context}`,
      `--dockerfile=${context}/${build.dockerfile}`,
      `--destination=${build.imageRef}`,
      `--digest-file=${DIGEST_FILE}`,
    ],
    workingDir: '/workspace',
    envFrom: [{ secretRef: { name: envSecretName(podName) } }],
    terminationMessagePath: DIGEST_FILE,
    terminationMessagePolicy: 'File',
    volumeMounts: [{ name: WORKSPACE_VOLUME, mountPath: '/workspace', subPath: WORKSPACE_SUBPATH }],
    securityContext: { allowPrivilegeEscalation: false },
  };
}
