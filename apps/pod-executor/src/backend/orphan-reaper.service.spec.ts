import {
  createGitRepo,
  KUBE_HELPER_TEST_IMAGE,
  KUBE_STEP_TEST_IMAGE,
  KubeApiSimulator,
  kubeTestImages,
  startKubeApiSimulator,
  TestGitRepo,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutorConfig, loadConfig } from '../config';
import { Backend, StepSpec } from './backend';
import { createKubernetesBackend, KubernetesBackend } from './kubernetes';
import { LocalBackend } from './local/local.backend';
import { OrphanReaperService } from './orphan-reaper.service';

const NAMESPACE = 'kiln-runs';

describe('the orphan sweep', () => {
  let repo: TestGitRepo;
  let sha: string;
  const reapers: OrphanReaperService[] = [];

  beforeAll(() => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'orphans\n' });
  });
  afterAll(() => repo?.remove());
  afterEach(async () => {
    await Promise.all(reapers.splice(0).map((r) => r.onApplicationShutdown()));
  });

  function step(runId: string, name: string, commands: string[]): StepSpec {
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: name,
      attempt: 1,
      image: KUBE_STEP_TEST_IMAGE,
      commands,
      env: {},
      timeoutMs: 60_000,
    };
  }

  /** The service as the app builds it; an age of 0 makes everything untouched "since now" an orphan. */
  function reaper(backend: Backend, overrides: Partial<ExecutorConfig> = {}): OrphanReaperService {
    const config = { ...loadConfig({ KILN_ORPHAN_SWEEP_SECONDS: '1', KILN_INTERNAL_TOKEN: 'internal-token-of-the-tests' }), ...overrides };
    const service = new OrphanReaperService(backend, config);
    reapers.push(service);
    return service;
  }

  describe('with the kubernetes backend', () => {
    let sim: KubeApiSimulator;
    let collectDir: string;

    beforeAll(async () => {
      collectDir = mkdtempSync(join(tmpdir(), 'kiln-reaper-collect-'));
      await kubeTestImages();
      sim = await startKubeApiSimulator({
        namespaces: [NAMESPACE],
        hostReadOnlyPaths: [repo.dir],
        maxGraceMs: 500,
      });
    });
    afterAll(async () => {
      await sim?.stop();
      rmSync(collectDir, { recursive: true, force: true });
    });

    function backend(namespace = NAMESPACE): KubernetesBackend {
      return createKubernetesBackend({
        namespace,
        kubeConfig: sim.clientConfig(namespace),
        helperImage: KUBE_HELPER_TEST_IMAGE,
        killGracePeriodSeconds: 1,
        collectDir,
      });
    }

    const objectsOf = (runId: string) =>
      (['configmaps', 'persistentvolumeclaims', 'pods', 'secrets'] as const).flatMap((resource) =>
        sim.list(resource, NAMESPACE, `kiln.dev/run=${runId}`).map((o) => `${resource}/${o.metadata.name}`),
      );

    async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
      for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(25))
        if (Date.now() > deadline) throw new Error('condition not reached in time');
    }

    it('removes what a dead executor left at start, then on its timer, sparing steps running here', async () => {
      const crashed = backend();
      const leftAtStart = randomUUID();
      await crashed.setupRun(step(leftAtStart, 'setup', []));
      const here = backend();
      const running = randomUUID();
      const busy = step(running, 'busy', ['sleep 30']);
      await here.setupRun(busy);
      const handle = await here.startStep(busy);
      await sim.waitFor('pods', NAMESPACE, handle.sandboxName, (p) =>
        JSON.stringify(p?.status ?? {}).includes('"running"'),
      );

      const service = reaper(here, { KILN_ORPHAN_AGE_SECONDS: 0 });
      await service.onModuleInit();
      await service.onApplicationBootstrap();
      expect(objectsOf(leftAtStart)).toEqual([]);

      const leftLater = randomUUID();
      await crashed.setupRun(step(leftLater, 'setup', []));
      expect(objectsOf(leftLater)).toContain(`persistentvolumeclaims/kiln-ws-${leftLater}`);
      await waitUntil(() => objectsOf(leftLater).length === 0, 5000);
      expect(objectsOf(running)).toEqual(
        expect.arrayContaining([`pods/${handle.sandboxName}`, `persistentvolumeclaims/kiln-ws-${running}`]),
      );
      await here.destroyRun(running);
    });

    it('spares runs touched within the orphan age', async () => {
      const crashed = backend();
      const recent = randomUUID();
      await crashed.setupRun(step(recent, 'setup', []));
      const service = reaper(backend());
      expect(await service.sweep()).toEqual([]);
      expect(objectsOf(recent)).toContain(`configmaps/kiln-run-${recent}`);
      await crashed.destroyRun(recent);
    });

    it('refuses to start when the backend cannot work in its namespace, naming the variables', async () => {
      await expect(reaper(backend('no-such-namespace')).onModuleInit()).rejects.toThrow(
        /cannot run steps in namespace no-such-namespace: .*namespace no-such-namespace does not exist \(KILN_K8S_NAMESPACE/,
      );
    });
  });

  describe('with the local backend', () => {
    let dataDir: string;
    beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'kiln-reaper-local-'))));
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('removes old workspaces but keeps one whose long step still runs here', async () => {
      const backend = new LocalBackend({ dataDir, bwrapPath: '/usr/bin/bwrap', network: false });
      const [abandoned, longRunning] = [randomUUID(), randomUUID()];
      await backend.setupRun(step(abandoned, 'setup', []));
      const long = step(longRunning, 'long', ['sleep 30']);
      await backend.setupRun(long);
      const handle = await backend.startStep(long);
      const dayAgo = new Date(Date.now() - 25 * 3600_000);
      for (const runId of [abandoned, longRunning])
        utimesSync(join(dataDir, 'workspaces', runId), dayAgo, dayAgo);

      expect(await reaper(backend).sweep()).toEqual([abandoned]);
      expect(existsSync(join(dataDir, 'workspaces', abandoned))).toBe(false);
      expect(existsSync(join(dataDir, 'workspaces', longRunning))).toBe(true);
      await backend.kill(handle);
      await backend.wait(handle);
      await backend.destroyRun(longRunning);
    });
  });
});
