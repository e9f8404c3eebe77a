import { createGitRepo, startApps, TestGitRepo } from '@kiln/testing';
import { logText, startExecutor } from './executor-harness';

describe('pod-executor shutting down', () => {
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(() => {
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'readme\n' });
  });
  afterAll(() => repo.remove());

  it('lets a short step finish, then kills the long one after the grace period and reports it', async () => {
    const executor = await startExecutor({
      KILN_SHUTDOWN_GRACE_SECONDS: '2',
      KILN_EXECUTOR_ID: 'draining-executor',
    });
    try {
      const short = await executor.dispatch({
        repoUrl: repo.url,
        commitSha: sha,
        commands: ['sleep 1', 'echo done'],
      });
      const long = await executor.dispatch({ repoUrl: repo.url, commitSha: sha, commands: ['sleep 60'] });
      await executor.waitFor('both steps to start', () => (executor.started.length === 2 ? true : undefined));

      const stoppedAt = Date.now();
      await executor.stopExecutor();
      const stopTook = Date.now() - stoppedAt;

      expect(await executor.finishedOf(short, 1000)).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(await executor.finishedOf(long, 1000)).toMatchObject({
        status: 'failed',
        error: 'executor shutting down',
        signal: 'SIGKILL',
      });
      expect(logText(await executor.chunksOf(long)).at(-1)).toBe(
        'system: step failed: executor shutting down',
      );
      expect(stopTook).toBeGreaterThanOrEqual(1900);
      expect(stopTook).toBeLessThan(10_000);
      const last = executor.heartbeats.filter((h) => h.executorId === 'draining-executor').at(-1);
      expect(last).toMatchObject({ capacity: 0, runningSteps: [] });
    } finally {
      await executor.stop();
    }
  });

  it('reports its running step before the process exits on SIGTERM (compiled app as a process)', async () => {
    const watcher = await startExecutor({ KILN_EXECUTOR_CAPACITY: '1', KILN_EXECUTOR_ID: 'watcher' });
    await watcher.stopExecutor();
    const apps = await startApps(['pod-executor'], {
      NATS_URL: process.env.NATS_URL!,
      KILN_NATS_PREFIX: watcher.prefix,
      KILN_DATA_DIR: watcher.dataDir,
      KILN_SANDBOX_NETWORK: 'false',
      KILN_SHUTDOWN_GRACE_SECONDS: '1',
      KILN_EXECUTOR_ID: 'process-executor',
    });
    try {
      const step = await watcher.dispatch({ repoUrl: repo.url, commitSha: sha, commands: ['sleep 60'] });
      await watcher.waitFor('the step to start', () => watcher.started.find((s) => s.stepId === step.stepId));
      await apps.kill('pod-executor', 'SIGTERM');
      expect(await watcher.finishedOf(step, 1000)).toMatchObject({
        status: 'failed',
        error: 'executor shutting down',
        executorId: 'process-executor',
      });
    } finally {
      await apps.stop();
      await watcher.stop();
    }
  });
});
