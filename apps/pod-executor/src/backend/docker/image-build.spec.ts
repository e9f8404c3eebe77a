import {
  busyboxTestImage,
  createGitRepo,
  startTestRegistry,
  TestGitRepo,
  TestRegistry,
  testDocker,
} from '@kiln/testing';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepExit, StepHandle, StepSpec, StepStartError } from '../backend';
import { DockerBackend } from './docker.backend';
import { prepareHelperImage, testBackendOptions } from './docker.spec-helper';

jest.setTimeout(60_000);

const BASE = 'kiln-test/busybox:1';

describe('build steps on the docker backend (real Docker Engine and registry)', () => {
  let docker: Docker;
  let registry: TestRegistry;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  let backend: DockerBackend;
  const runs: string[] = [];

  beforeAll(async () => {
    docker = testDocker();
    await busyboxTestImage(docker, BASE);
    await prepareHelperImage(docker);
    registry = await startTestRegistry();
    repo = createGitRepo();
    sha = repo.commit({
      'image/Dockerfile': `FROM ${BASE}\nRUN echo built > /built\nCOPY app.txt generated.txt /\n`,
      'image/app.txt': 'from the repository\n',
      'failing/Dockerfile': `FROM ${BASE}\nRUN echo kiln-failing-build && exit 3\n`,
      'slow/Dockerfile': `FROM ${BASE}\nRUN sleep 30 && echo kiln-slow-build\n`,
      'plain/Dockerfile': `FROM ${BASE}\nRUN echo plain > /plain\n`,
    });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-collect-'));
    backend = new DockerBackend(docker, testBackendOptions(collectDir));
  });

  afterEach(async () => {
    for (const runId of runs.splice(0)) await backend.destroyRun(runId);
  });
  afterAll(async () => {
    await registry?.stop();
    repo?.remove();
    rmSync(collectDir, { recursive: true, force: true });
  });

  function spec(overrides: Partial<StepSpec>): StepSpec {
    const runId = overrides.runId ?? randomUUID();
    if (!runs.includes(runId)) runs.push(runId);
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'package',
      attempt: 1,
      image: '',
      commands: [],
      env: {},
      timeoutMs: 60_000,
      ...overrides,
    };
  }

  const buildOf = (context: string, imageRef: string, dockerfile = 'Dockerfile') => ({
    build: { context, dockerfile, imageRef },
  });

  async function run(
    step: StepSpec,
    whileRunning?: (handle: StepHandle) => Promise<void>,
  ): Promise<{ exit: StepExit; log: string }> {
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of backend.tailLogs(handle)) lines.push(line.text);
    })();
    await whileRunning?.(handle);
    await reading;
    return { exit: await backend.wait(handle), log: lines.join('\n') };
  }

  it('builds the context from the run workspace, pushes it and records the digest the registry serves', async () => {
    const runId = randomUUID();
    // The context is the run's workspace, not the repository: a file an earlier step made is in it.
    const earlier = await run(
      spec({ runId, stepName: 'make', image: BASE, commands: ['echo made > image/generated.txt'] }),
    );
    expect(earlier.exit).toEqual({ exitCode: 0 });
    const imageRef = `${registry.host}/kiln-build-ok:${sha}`;

    const { exit, log } = await run(spec({ runId, ...buildOf('image', imageRef) }));

    const digest = await registry.manifestDigest('kiln-build-ok', sha);
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(exit).toEqual({ exitCode: 0, pushedImage: `${imageRef}@${digest}` });
    expect(log).toContain(`building ${imageRef} from image/Dockerfile`);
    expect(log).toContain('Step 2/3 : RUN echo built > /built');
    expect(log).toContain(`pushed ${imageRef}@${digest}`);

    // The pushed image is the one built: a step of it sees the build's files.
    const check = await run(
      spec({ runId, stepName: 'check', image: imageRef, commands: ['cat /built /app.txt /generated.txt'] }),
    );
    expect(check.exit).toEqual({ exitCode: 0 });
    expect(check.log).toContain('built\nfrom the repository\nmade');
  });

  it('fails the step with the builder reason when the Dockerfile fails, leaving no container behind', async () => {
    const { exit, log } = await run(spec(buildOf('failing', `${registry.host}/kiln-build-failing:${sha}`)));
    expect(exit.exitCode).toBeNull();
    expect(exit.error).toMatch(/^the image build failed: .*returned a non-zero code: 3/);
    expect(log).toContain('kiln-failing-build');
    const left = await docker.listContainers({ all: true });
    expect(left.filter((c) => c.Command.includes('kiln-failing-build'))).toEqual([]);
    expect(await registry.manifestDigest('kiln-build-failing', sha)).toBeUndefined();
  });

  it('fails the step with the registry reason when the registry refuses the push or does not answer', async () => {
    const readOnly = await startTestRegistry({ readOnly: true });
    try {
      const refused = await run(spec(buildOf('plain', `${readOnly.host}/kiln-build-refused:${sha}`)));
      expect(refused.exit.exitCode).toBeNull();
      expect(refused.exit.error).toMatch(
        new RegExp(`^the registry refused the push of ${readOnly.host}/kiln-build-refused:${sha}: .+`),
      );
    } finally {
      await readOnly.stop();
    }
    // Stopped: nothing listens on its port any more.
    const gone = await run(spec(buildOf('plain', `${readOnly.host}/kiln-build-gone:${sha}`)));
    expect(gone.exit.error).toMatch(/^the registry refused the push of .*connection refused/);
  });

  it('refuses a context outside the workspace, and reports a missing one', async () => {
    const outside = spec(buildOf('../etc', `${registry.host}/kiln-build-outside:${sha}`));
    await backend.setupRun(outside);
    await expect(backend.startStep(outside)).rejects.toThrow(
      new StepStartError('build.context "../etc" must be a relative path inside the workspace'),
    );
    const missing = await run(spec(buildOf('nowhere', `${registry.host}/kiln-build-missing:${sha}`)));
    expect(missing.exit).toEqual({
      exitCode: null,
      error: 'build.context "nowhere" does not exist in the workspace',
    });
  });

  it('stops a build that is killed (timeout, cancel)', async () => {
    const step = spec(buildOf('slow', `${registry.host}/kiln-build-slow:${sha}`));
    const started = Date.now();
    const { exit, log } = await run(step, async (handle) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await backend.kill(handle);
    });
    expect(log).toContain('RUN sleep 30');
    expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(20_000);
    // The engine removes the aborted build's container once it has stopped it.
    const deadline = Date.now() + 10_000;
    const leftOver = async () =>
      (await docker.listContainers({ all: true })).filter((c) => c.Command.includes('kiln-slow-build'));
    while ((await leftOver()).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await leftOver()).toEqual([]);
  });
});
