import {
  baseImages,
  dockerfileImage,
  KubeApiSimulator,
  KubeObject,
  kubeTestImages,
  Platform,
  startKubeApiSimulator,
  startPlatform,
  testDocker,
} from '@kiln/testing';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The namespace step pods run in, as the manifests name it. */
export const RUNS_NAMESPACE = 'kiln-runs';
/** The helper image: the repository Dockerfile's `helper` target with one test setting (helperImage()). */
export const HELPER_IMAGE = 'kiln-test/dockerfile-helper-e2e:1';
/** The simulated nodes; only `builds-*` carry the label the executor's node selector asks for. */
export const BUILD_NODES = ['builds-1', 'builds-2'];

export interface KubePlatform extends Platform {
  sim: KubeApiSimulator;
  /** Every object of one run in the runs namespace, as `<resource>/<name>`. */
  runObjects(runId: string): string[];
  /** What the executor sent to create the run's objects (bodies exactly as sent). */
  createdFor(runId: string): { resource: string; body: KubeObject }[];
}

export interface KubePlatformOptions {
  /** Host directories step pods may read (the test repositories behind file:// URLs). */
  repoDirs: string[];
}

/**
 * The six apps as processes with the executor on its kubernetes backend, talking HTTP to an API
 * server simulator started here through a kubeconfig file: the production wiring (KILN_K8S_* from
 * the environment, validated at start) with pods run as containers of their images on the tests'
 * Docker Engine by the simulator.
 */
export async function startKubePlatform(options: KubePlatformOptions): Promise<KubePlatform> {
  await kubeTestImages();
  await helperImage();
  const sim = await startKubeApiSimulator({
    namespaces: [RUNS_NAMESPACE],
    // What the runs namespace enforces on a hardened cluster: step pods must pass it.
    podSecurity: { [RUNS_NAMESPACE]: 'restricted' },
    nodes: [
      ...BUILD_NODES.map((name) => ({ name, labels: { 'kiln.dev/pool': 'builds' } })),
      { name: 'general-1' },
    ],
    storageClasses: ['standard', 'fast-ssd'],
    hostReadOnlyPaths: options.repoDirs,
    maxGraceMs: 1000,
  });
  let platform: Platform;
  try {
    platform = await startPlatform({
      KILN_EXECUTOR_BACKEND: 'kubernetes',
      KILN_KUBECONFIG: sim.writeKubeconfig(RUNS_NAMESPACE),
      KILN_K8S_NAMESPACE: RUNS_NAMESPACE,
      KILN_K8S_SERVICE_ACCOUNT: 'kiln-step',
      KILN_K8S_STORAGE_CLASS: 'fast-ssd',
      KILN_K8S_WORKSPACE_SIZE: '2Gi',
      KILN_K8S_ACCESS_MODE: 'ReadWriteOnce',
      KILN_K8S_NODE_SELECTOR: '{"kiln.dev/pool":"builds"}',
      KILN_K8S_TOLERATIONS: '[{"key":"kiln.dev/builds","operator":"Exists","effect":"NoSchedule"}]',
      KILN_K8S_HELPER_IMAGE: HELPER_IMAGE,
      KILN_K8S_KILL_GRACE_SECONDS: '1',
      KILN_K8S_DEFAULT_CPU: '500m',
      KILN_K8S_DEFAULT_MEMORY: '512Mi',
    });
  } catch (error) {
    await sim.stop();
    throw error;
  }
  const selector = (runId: string) => `kiln.dev/run=${runId}`;
  return {
    ...platform,
    sim,
    runObjects: (runId) =>
      (['configmaps', 'persistentvolumeclaims', 'pods', 'secrets'] as const).flatMap((resource) =>
        sim.list(resource, RUNS_NAMESPACE, selector(runId)).map((o) => `${resource}/${o.metadata.name}`),
      ),
    createdFor: (runId) => sim.created.filter((c) => c.body.metadata.labels?.['kiln.dev/run'] === runId),
    async stop() {
      try {
        await platform.stop();
      } finally {
        await sim.stop();
      }
    },
  };
}

/**
 * Builds the Dockerfile's `helper` target (on locally made bases; reused when unchanged) and tags
 * it HELPER_IMAGE with one test file: a global git configuration (GIT_CONFIG_GLOBAL) saying
 * safe.directory=*. The test repositories are root's files on this host, bound into pods that run
 * as uid 1000, and git's upload-pack refuses such "dubious ownership" (it reads global
 * configuration, not the environment's). In a cluster the helper fetches over the network.
 */
async function helperImage(): Promise<void> {
  const docker = testDocker();
  const built = await dockerfileImage('helper', await baseImages(docker));
  const dir = await mkdtemp(join(tmpdir(), 'kiln-helper-e2e-'));
  const container = await docker.createContainer({ Image: built });
  try {
    await writeFile(join(dir, 'kiln-test.gitconfig'), '[safe]\n\tdirectory = *\n');
    const tar = spawn('tar', ['-c', '--owner=0', '--group=0', '-C', dir, 'kiln-test.gitconfig'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await container.putArchive(tar.stdout, { path: '/etc' });
    const [repo, tag] = HELPER_IMAGE.split(':');
    await container.commit({ repo, tag, changes: ['ENV GIT_CONFIG_GLOBAL=/etc/kiln-test.gitconfig'] });
  } finally {
    await container.remove({ force: true });
    await rm(dir, { recursive: true, force: true });
  }
}
