import {
  busyboxTestImage,
  createGitRepo,
  finishedWithLogs,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
  testDocker,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';

const IMAGE = 'kiln-test/busybox:1';
/** A project secret the service's environment names: the step gets it back from the service, masked. */
const SERVICE_TOKEN = `svc-${randomUUID()}`;

/**
 * One pipeline using matrix, services (with wait_for and a secret), a cache, retry and an approval, run twice on
 * the whole platform with the docker backend: approved through the API the first time, rejected
 * the second; the second run restores what the first cached.
 */
describe('matrix, services, caches, retries and approvals on the running platform (docker)', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;
  let pipelineId: string;

  beforeAll(async () => {
    await busyboxTestImage(testDocker(), IMAGE);
    // One step at a time: the matrix steps' services would share the run's localhost port.
    platform = await startPlatform({ KILN_EXECUTOR_BACKEND: 'docker', KILN_EXECUTOR_CAPACITY: '1' });
    repo = createGitRepo();
    repo.commit({ 'lock.txt': 'dependencies v1\n' });
    projectId = (await platform.createProject({ name: `features-${randomUUID().slice(0, 8)}`, repo })).id;
    const put = await platform.api('PUT', `/api/projects/${projectId}/secrets/SERVICE_TOKEN`, { value: SERVICE_TOKEN });
    expect(put.status).toBeLessThan(300);
    pipelineId = await platform.createPipeline(projectId, {
      name: 'features',
      yaml_config: `
pipeline:
  steps:
    - name: test
      image: ${IMAGE}
      matrix: { FLAVOUR: [a, b] }
      retry: 1
      cache:
        - key: deps-{{ checksum "lock.txt" }}-{{ branch }}
          restore_keys: [deps-]
          paths: [deps]
      services:
        - name: echo
          image: ${IMAGE}
          environment: { REPLY: "pong-\${{ secrets.SERVICE_TOKEN }}" }
          commands: ['echo service up', 'sleep 1', 'while true; do echo "$REPLY" | nc -l -p 8080; done']
          wait_for: { port: 8080, timeout: 30s }
      commands:
        - 'echo "matrix FLAVOUR=$FLAVOUR"'
        - 'echo "service says $(echo ping | nc 127.0.0.1 8080)"'
        - 'for i in 1 2 3 4 5; do if answer=$(echo ping | nc echo 8080); then break; fi; sleep 0.2; done; echo "by name it says $answer"'
        - 'if [ -f deps/tool.txt ]; then echo "cached: $(cat deps/tool.txt)"; else mkdir -p deps; echo "built in run $RUN_NUMBER" > deps/tool.txt; fi'
        - 'if [ ! -f .tried-$FLAVOUR ]; then touch .tried-$FLAVOUR; echo "first attempt fails"; exit 1; fi'
    - name: gate
      approval: true
      depends_on: [test]
    - name: deploy
      image: ${IMAGE}
      depends_on: [gate]
      commands: [echo deployed]
`,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  const step = (run: RunJson, name: string) => run.steps.find((s) => s.name === name)!;
  const waiting = (run: RunJson) => run.status === 'waiting' && step(run, 'gate').status === 'waiting';

  async function attemptLog(run: RunJson, name: string, attempt: number): Promise<string> {
    const path = `/api/projects/${projectId}/runs/${run.id}/steps/${step(run, name).id}/logs?attempt=${attempt}`;
    const answer = await platform.text(path);
    expect(answer.status).toBe(200);
    return answer.text;
  }

  async function decide(run: RunJson, verdict: 'approve' | 'reject', comment: string): Promise<RunJson> {
    const path = `/api/projects/${projectId}/runs/${run.id}/steps/${step(run, 'gate').id}/${verdict}`;
    expect((await platform.api('POST', path, { comment })).status).toBe(202);
    return platform.waitForRun(projectId, run.id, finishedWithLogs, 60_000);
  }

  it('runs the matrix with its values against the service, retries, waits for approval and caches', async () => {
    const started = await platform.startRun(projectId, pipelineId);
    const held = await platform.waitForRun(projectId, started.id, waiting, 120_000);
    expect(step(held, 'deploy').status).toBe('pending');

    const run = await decide(held, 'approve', 'ship it');
    expect(run.status).toBe('succeeded');
    expect(step(run, 'deploy').status).toBe('succeeded');
    expect(await platform.stepLog(projectId, run, 'deploy')).toContain('deployed');
    for (const flavour of ['a', 'b']) {
      const name = `test-${flavour}`;
      expect(step(run, name)).toMatchObject({ status: 'succeeded', attempt: 2 });
      const first = await attemptLog(run, name, 1);
      expect(first).toContain(`matrix FLAVOUR=${flavour}`);
      expect(first).toContain('service says pong');
      expect(first).toMatch(/^first attempt fails$/m);
      expect(first).toMatch(/cache miss: deps-[0-9a-f]{64}-main/);
      const last = await platform.stepLog(projectId, run, name);
      expect(last).toContain(`matrix FLAVOUR=${flavour}`);
      expect(last).toContain('service says pong');
      expect(last).toContain('by name it says pong');
      expect(last).toContain('service says pong-***');
      expect(last).not.toContain(SERVICE_TOKEN);
      expect(last).toMatch(/^\[echo\] service up$/m);
      expect(last.indexOf('[echo] service up')).toBeLessThan(last.indexOf('matrix FLAVOUR'));
      expect(last).toMatch(/^\[echo\] ping$/m);
      expect(last).not.toMatch(/^first attempt fails$/m);
      expect(await attemptLog(run, name, 2)).toBe(last);
    }
    const saves = [await platform.stepLog(projectId, run, 'test-a'), await platform.stepLog(projectId, run, 'test-b')];
    expect(saves.join('\n')).toMatch(/cache saved to key deps-[0-9a-f]{64}-main \(\d+\.\d [KM]iB\)/);
    const rows = await platform.query<{ key: string }>('SELECT key FROM caches WHERE project_id = $1', [projectId]);
    expect(rows.map((r) => r.key)).toEqual([expect.stringMatching(/^deps-[0-9a-f]{64}-main$/)]);
  }, 240_000);

  it('restores the cache in the next run, and a rejected approval fails the run with the reason', async () => {
    const started = await platform.startRun(projectId, pipelineId);
    const held = await platform.waitForRun(projectId, started.id, waiting, 120_000);
    const log = await platform.stepLog(projectId, held, 'test-a');
    expect(log).toMatch(/cache restored from key deps-[0-9a-f]{64}-main \(\d+\.\d [KM]iB\)/);
    expect(log).toContain('cached: built in run 1');
    expect(log).toMatch(/cache not saved: key deps-[0-9a-f]{64}-main was restored exactly/);

    const run = await decide(held, 'reject', 'not today');
    expect(run.status).toBe('failed');
    expect(step(run, 'gate')).toMatchObject({ status: 'failed', error: expect.stringContaining('not today') });
    expect(step(run, 'deploy').status).toBe('skipped');
  }, 240_000);
});
