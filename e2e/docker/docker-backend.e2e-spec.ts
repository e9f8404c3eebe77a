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
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';

const IMAGE = 'kiln-test/busybox:1';
const RUN_LABEL = 'dev.kiln.run';

/**
 * The whole platform with the docker backend on a real Docker Engine: steps are containers of
 * their images that share the run's workspace, reach nothing of the platform, and leave nothing
 * behind when they are cancelled, time out or lose their executor.
 */
describe('docker backend on the running platform', () => {
  let platform: Platform;
  let docker: Docker;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    docker = testDocker();
    await busyboxTestImage(docker, IMAGE);
    platform = await startPlatform({
      KILN_EXECUTOR_BACKEND: 'docker',
      // Stable across a restart, so the restarted executor knows the containers it left.
      KILN_EXECUTOR_ID: `e2e-docker-${randomUUID().slice(0, 8)}`,
      KILN_DOCKER_PULL_TIMEOUT_SECONDS: '20',
      // The registry of the missing-image case listens nowhere on 127.0.0.1.
      KILN_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    });
    repo = createGitRepo();
    repo.commit({ 'README.md': 'from the repository\n' });
    projectId = (await platform.createProject({ name: `docker-${randomUUID().slice(0, 8)}`, repo })).id;
  });

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  async function run(yaml: string, until = finishedWithLogs, timeoutMs = 60_000): Promise<RunJson> {
    const pipelineId = await platform.createPipeline(projectId, {
      name: `p-${randomUUID().slice(0, 8)}`,
      yaml_config: yaml,
    });
    const started = await platform.startRun(projectId, pipelineId);
    return platform.waitForRun(projectId, started.id, until, timeoutMs);
  }

  const stepContainers = (runId: string) =>
    docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`, 'dev.kiln.role=step'] } });

  async function noStepContainerLeft(runId: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await stepContainers(runId)).length > 0) {
      if (Date.now() > deadline) throw new Error(`containers of run ${runId} are still there`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("runs each step in its image, shares the workspace, and reaches none of the platform's ports", async () => {
    const ports = ['gateway', 'webhook-receiver', 'scheduler', 'artifact-service'].map(
      (app) => new URL(platform.apps.url(app as 'gateway')).port,
    );
    ports.push(new URL(process.env.NATS_URL!).port, '5432');
    const probes = ports.map(
      (port) =>
        `if nc -w 1 127.0.0.1 ${port} </dev/null; then echo "reached ${port}"; else echo "refused ${port}"; fi`,
    );
    const finished = await run(`
pipeline:
  steps:
    - name: inspect
      image: ${IMAGE}
      commands:
        - cat /etc/os-release
        - test ! -e /usr/bin/node && echo "no host node"
        - cat README.md
        - echo shared > shared.txt
    - name: probe
      image: ${IMAGE}
      depends_on: [inspect]
      commands:
${[...probes, 'cat shared.txt', 'test ! -e /etc/shadow && echo "no host shadow"'].map((c) => `        - '${c.replace(/'/g, "''")}'`).join('\n')}
`);
    expect(finished.status).toBe('succeeded');
    const inspect = await platform.stepLog(projectId, finished, 'inspect');
    expect(inspect).toContain('NAME="kiln test busybox"');
    expect(inspect).toContain('no host node');
    expect(inspect).toContain('from the repository');
    const probe = await platform.stepLog(projectId, finished, 'probe');
    for (const port of ports) expect(probe).toContain(`refused ${port}`);
    expect(probe).not.toMatch(/^reached \d+$/m);
    expect(probe).toContain('shared');
    expect(probe).toContain('no host shadow');
    expect(await stepContainers(finished.id)).toEqual([]);
  });

  it('fails a step whose image cannot be pulled, fast and with the reason', async () => {
    const finished = await run(`
pipeline:
  steps:
    - name: missing
      image: 127.0.0.1:1/kiln/absent:1
      commands: ['true']
`);
    expect(finished.status).toBe('failed');
    expect(finished.steps[0].error).toMatch(
      /cannot pull image "127.0.0.1:1\/kiln\/absent:1": .*connection refused/,
    );
  });

  it('kills the container of a step that times out', async () => {
    const finished = await run(`
pipeline:
  steps:
    - name: slow
      image: ${IMAGE}
      timeout: 2s
      commands: ['sleep 600']
`);
    expect(finished.status).toBe('failed');
    expect(finished.steps[0].error).toBe('timed out after 2s');
    await noStepContainerLeft(finished.id);
  });

  it('kills the container of a cancelled run', async () => {
    const running = await run(
      `
pipeline:
  steps:
    - name: long
      image: ${IMAGE}
      commands: ['sleep 600']
`,
      (r) => r.steps[0]?.status === 'running',
    );
    const cancel = await platform.api('POST', `/api/projects/${projectId}/runs/${running.id}/cancel`, {});
    expect(cancel.status).toBeLessThan(300);
    const cancelled = await platform.waitForRun(projectId, running.id);
    expect(cancelled.status).toBe('cancelled');
    await noStepContainerLeft(running.id);
  });

  it('leaves no container behind when the executor is killed mid-step and restarted', async () => {
    const running = await run(
      `
pipeline:
  steps:
    - name: long
      image: ${IMAGE}
      commands: ['sleep 600']
`,
      (r) => r.steps[0]?.status === 'running',
    );
    expect(await stepContainers(running.id)).toHaveLength(1);
    await platform.apps.kill('pod-executor', 'SIGKILL');
    expect(await stepContainers(running.id)).toHaveLength(1);
    await platform.apps.start('pod-executor');
    await noStepContainerLeft(running.id);
    await platform.api('POST', `/api/projects/${projectId}/runs/${running.id}/cancel`, {});
    await platform.waitForRun(projectId, running.id);
  });
});
