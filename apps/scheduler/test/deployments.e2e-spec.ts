import {
  busyboxTestImage,
  createGitRepo,
  finishedWithLogs,
  Platform,
  RunJson,
  startPlatform,
  startTestRegistry,
  TestGitRepo,
  TestRegistry,
  testDocker,
} from '@kiln/testing';
import { randomUUID } from 'node:crypto';

const BASE = 'kiln-test/busybox:1';

jest.setTimeout(90_000);

const pipeline = (dockerfile: string) => `pipeline:
  steps:
    - { name: test, image: ${BASE}, commands: ["cat app.txt"] }
    - name: package
      depends_on: [test]
      build: { context: image, dockerfile: ${dockerfile} }
      deploy: true
`;

/**
 * The deployment hand-off with a real build: the platform on the docker backend builds the
 * image, pushes it to a registry on 127.0.0.1 (KILN_REGISTRY), and the deployment row names the
 * image with the digest the registry serves for it.
 */
describe('a successful build step with deploy: true hands its pushed image to the deployer', () => {
  let platform: Platform;
  let registry: TestRegistry;
  let repo: TestGitRepo;
  let sha: string;

  beforeAll(async () => {
    await busyboxTestImage(testDocker(), BASE);
    registry = await startTestRegistry();
    platform = await startPlatform({
      KILN_EXECUTOR_BACKEND: 'docker',
      KILN_REGISTRY: registry.host,
      KILN_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    });
    repo = createGitRepo();
    sha = repo.commit({
      'app.txt': 'the app\n',
      'image/Dockerfile': `FROM ${BASE}\nRUN echo built > /built\n`,
      'image/Failing.dockerfile': `FROM ${BASE}\nRUN exit 7\n`,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await registry?.stop();
    repo?.remove();
  });

  type StepWithDigest = RunJson['steps'][number] & { image_digest: string | null };
  const stepOf = (run: RunJson, name: string) => run.steps.find((s) => s.name === name) as StepWithDigest;

  it('records the registry digest on the step and in the deployment row; a failed build changes nothing', async () => {
    const name = `deployer-${randomUUID().slice(0, 8)}`;
    const { id } = await platform.createProject({ name, repo });
    const pipelineId = await platform.createPipeline(id, { name: 'ci', yaml_config: pipeline('Dockerfile') });
    const started = await platform.startRun(id, pipelineId);
    const run = await platform.waitForRun(id, started.id, finishedWithLogs, 60_000);
    expect(run.status).toBe('succeeded');

    const digest = await registry.manifestDigest(name, sha);
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const imageRef = `${registry.host}/${name}:${sha}@${digest}`;
    expect(stepOf(run, 'package').image_digest).toBe(imageRef);
    // A step that ran an image records which one it was (a local image: its id).
    expect(stepOf(run, 'test').image_digest).toMatch(/sha256:[a-f0-9]{64}$/);
    expect(await platform.stepLog(id, run, 'package')).toContain(`pushed ${imageRef}`);

    const deployments = async () =>
      (await platform.api<{ items: object[] }>('GET', `/api/projects/${id}/deployments`)).body.items;
    // The scheduler hands the deployment off after it recorded the run's end.
    const deadline = Date.now() + 10_000;
    while ((await deployments()).length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await deployments()).toEqual([
      expect.objectContaining({ image_ref: imageRef, desired_status: 'active', run_id: run.id }),
    ]);

    await platform.api('PUT', `/api/projects/${id}/pipelines/${pipelineId}`, {
      yaml_config: pipeline('Failing.dockerfile'),
    });
    const again = await platform.startRun(id, pipelineId);
    const failed = await platform.waitForRun(id, again.id, finishedWithLogs, 60_000);
    expect(failed.status).toBe('failed');
    expect(stepOf(failed, 'package')).toMatchObject({
      status: 'failed',
      image_digest: null,
      error: expect.stringMatching(/^the image build failed: .*returned a non-zero code: 7/),
    });
    expect(await deployments()).toEqual([expect.objectContaining({ image_ref: imageRef, run_id: run.id })]);
  });
});
