import { KubernetesBackend } from './kubernetes.backend';
import { KUBERNETES_DEFAULTS, KubernetesBackendOptions } from './kubernetes.options';

export { KubernetesBackend } from './kubernetes.backend';
export { KubernetesEnv, kubernetesOptionsFromEnv } from './kubernetes.env';
export { KUBERNETES_DEFAULTS } from './kubernetes.options';
export type { KubernetesBackendOptions, WorkspaceAccessMode } from './kubernetes.options';
export { WorkspaceCopyError } from './workspace-collector';

/** The kubernetes backend with `options` over the defaults (see `kubernetesOptionsFromEnv`). */
export function createKubernetesBackend(options: Partial<KubernetesBackendOptions> = {}): KubernetesBackend {
  return new KubernetesBackend({ ...KUBERNETES_DEFAULTS, ...options });
}
