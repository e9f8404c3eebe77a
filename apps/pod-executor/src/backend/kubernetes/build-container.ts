import type { V1Container, V1Volume } from '@kubernetes/client-node';
import { StepSpec } from '../backend';
import { WORKSPACE_SUBPATH } from './checkout-script';
import { KubernetesBackendOptions } from './kubernetes.options';
import { envSecretName, STEP_CONTAINER, WORKSPACE_VOLUME } from './names';

const REGISTRY_VOLUME = 'registry-auth';

/** Where kaniko writes the pushed digest: the container's termination message, read from its status. */
const DIGEST_FILE = '/dev/termination-log';

/** The run's dockerconfigjson Secret as kaniko's /kaniko/.docker/config.json (push credentials). */
export function registryVolume(registrySecret: string): V1Volume {
  return {
    name: REGISTRY_VOLUME,
    secret: { secretName: registrySecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
  };
}

/**
 * A build step's container: kaniko builds `context` of the run's workspace and pushes `imageRef`
 * without a Docker daemon. It runs as root (it unpacks images into its own filesystem), so the
 * executor's step user does not apply; privilege escalation stays off.
 */
export function kanikoContainer(
  build: NonNullable<StepSpec['build']>,
  podName: string,
  options: KubernetesBackendOptions,
  registrySecret?: string,
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
    volumeMounts: [
      { name: WORKSPACE_VOLUME, mountPath: '/workspace', subPath: WORKSPACE_SUBPATH },
      ...(registrySecret ? [{ name: REGISTRY_VOLUME, mountPath: '/kaniko/.docker', readOnly: true }] : []),
    ],
    securityContext: { allowPrivilegeEscalation: false },
  };
}
