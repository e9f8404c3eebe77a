import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { DEFAULT_CAPABILITIES, DEFAULT_HELPER_IMAGE, DockerBackendOptions } from './docker.options';
import { ensureHelperImage } from './helper-image';
import { ImagePuller } from './image-puller';

/** Options of a docker backend under test: no egress, the default capabilities, a fresh executor id. */
export function testBackendOptions(
  collectDir: string,
  overrides: Partial<DockerBackendOptions> = {},
): DockerBackendOptions {
  return {
    pullPolicy: 'if-not-present',
    pullTimeoutMs: 30_000,
    egress: 'none',
    helperImage: DEFAULT_HELPER_IMAGE,
    capAdd: DEFAULT_CAPABILITIES,
    pidsLimit: 128,
    executorId: `test-${randomUUID()}`,
    collectDir,
    ...overrides,
  };
}

/** The default helper image, built from this host's static busybox when the engine lacks it. */
export function prepareHelperImage(docker: Docker): Promise<void> {
  return ensureHelperImage(docker, DEFAULT_HELPER_IMAGE, new ImagePuller(docker, 'never', 1000));
}
