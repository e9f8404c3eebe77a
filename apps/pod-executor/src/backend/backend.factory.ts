import { ExecutorConfig } from '../config';
import { Backend } from './backend';
import { LocalBackend } from './local/local.backend';

/** The backend KILN_EXECUTOR_BACKEND names; each backend is one folder beside local/. */
export function createBackend(config: ExecutorConfig): Backend {
  switch (config.KILN_EXECUTOR_BACKEND) {
    case 'local':
      return new LocalBackend({
        dataDir: config.KILN_DATA_DIR,
        bwrapPath: config.KILN_BWRAP_PATH,
        network: config.KILN_SANDBOX_NETWORK,
      });
    default:
      // loadConfig already refused backends this build lacks.
      throw new Error(`no ${config.KILN_EXECUTOR_BACKEND} backend in this build`);
  }
}
