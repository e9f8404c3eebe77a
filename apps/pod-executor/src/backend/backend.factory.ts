import { resolve } from 'node:path';
import { ExecutorConfig } from '../config';
import { ExecutorIdentity } from '../identity/executor-identity';
import { Backend } from './backend';
import { LocalBackend } from './local/local.backend';

/** The backend KILN_EXECUTOR_BACKEND names; each backend is one folder beside local/. */
export async function createBackend(config: ExecutorConfig, identity: ExecutorIdentity): Promise<Backend> {
  switch (config.KILN_EXECUTOR_BACKEND) {
    case 'local':
      return new LocalBackend({
        dataDir: config.KILN_DATA_DIR,
        bwrapPath: config.KILN_BWRAP_PATH,
        network: config.KILN_SANDBOX_NETWORK,
      });
    case 'docker': {
      const { DockerBackend } = await import('./docker/docker.backend');
      const { dockerClient } = await import('./docker/engine');
      const { dockerOptionsFromEnv } = await import('./docker/docker.options');
      const options = dockerOptionsFromEnv(config, identity.id, resolve(config.KILN_DATA_DIR, 'collect'));
      return new DockerBackend(dockerClient(options.host), options);
    }
    case 'kubernetes': {
      // Loaded only here: executors on the local backend never load the Kubernetes client.
      const { createKubernetesBackend, kubernetesOptionsFromEnv } = await import('./kubernetes');
      return createKubernetesBackend({
        ...kubernetesOptionsFromEnv(config, identity.id),
        // Artifacts copied out of run volumes wait here for upload (a writable volume in the manifests).
        collectDir: resolve(config.KILN_DATA_DIR, 'collect'),
      });
    }
  }
}
