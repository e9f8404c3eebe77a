import { NetGuard } from '@kiln/net-guard';
import {
  AuthRegistry,
  busyboxTestImage,
  createGitRepo,
  pushImage,
  startAuthRegistry,
  testDocker,
  TestGitRepo,
} from '@kiln/testing';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepSpec, StepStartError } from '../backend';
import { DockerBackend } from './docker.backend';
import { ImagePuller } from './image-puller';
import { prepareHelperImage, testBackendOptions } from './docker.spec-helper';
import { runBackendStep } from '../backend.spec-helper';

const LOCAL_IMAGE = 'kiln-test/busybox:private';

describe('pulling from a registry with credentials (real Docker Engine and registry)', () => {
  let docker: Docker;
  let registry: AuthRegistry;
  let image: string;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  let backend: DockerBackend;
  const runs: string[] = [];
  const allowed = process.env.KILN_ALLOWED_PRIVATE_HOSTS;

  beforeAll(async () => {
    // The test registry listens on loopback, which the SSRF guard refuses unless listed.
    process.env.KILN_ALLOWED_PRIVATE_HOSTS = '127.0.0.1';
    docker = testDocker();
    await busyboxTestImage(docker, LOCAL_IMAGE, { files: { 'etc/os-release': 'NAME="private image"\n' } });
    await prepareHelperImage(docker);
    registry = await startAuthRegistry();
    image = `${registry.host}/team/private:1`;
    await pushImage(docker, LOCAL_IMAGE, image, {
      username: registry.username,
      password: registry.password,
      serveraddress: registry.host,
    });
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'private\n' });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-collect-'));
    // Every start pulls, so each test meets the registry's authentication.
    backend = new DockerBackend(docker, testBackendOptions(collectDir, { pullPolicy: 'always' }));
  });

  afterAll(async () => {
    for (const runId of runs) await backend?.destroyRun(runId);
    await registry?.stop();
    repo?.remove();
    rmSync(collectDir, { recursive: true, force: true });
    if (allowed === undefined) delete process.env.KILN_ALLOWED_PRIVATE_HOSTS;
    else process.env.KILN_ALLOWED_PRIVATE_HOSTS = allowed;
  });

  function spec(registryCredentials?: StepSpec['registryCredentials']): StepSpec {
    const runId = randomUUID();
    runs.push(runId);
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'private',
      attempt: 1,
      image,
      commands: ['cat /etc/os-release'],
      env: {},
      timeoutMs: 60_000,
      ...(registryCredentials ? { registryCredentials } : {}),
    };
  }

  const run = (step: StepSpec) => runBackendStep(backend, step);

  async function startError(step: StepSpec): Promise<string> {
    await backend.setupRun(step);
    return backend.startStep(step).then(
      () => 'started',
      (error: Error) => (error instanceof StepStartError ? error.message : `unexpected: ${error.message}`),
    );
  }

  it("pulls the image with the project's credentials for its registry and runs the step", async () => {
    await docker.getImage(image).remove();
    const { exit, text } = await run(
      spec([
        { server: 'other.example.com', username: 'someone', password: 'not-this-one' },
        { server: registry.host, username: registry.username, password: registry.password },
      ]),
    );
    expect(exit).toEqual({ exitCode: 0 });
    expect(text).toContain('NAME="private image"');
  });

  it('fails the step with the registry reason when no credentials are given', async () => {
    const message = await startError(spec());
    expect(message).toMatch(/^cannot pull image ".*": .*no basic auth credentials$/);
  });

  it('fails the step with the registry reason for a wrong password, never showing the password', async () => {
    const wrong = 'wrong-pa55word-for-the-registry';
    const message = await startError(
      spec([{ server: registry.host, username: registry.username, password: wrong }]),
    );
    expect(message).toMatch(/^cannot pull image ".*": unauthorized: authentication required$/);
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(registry.password);
  });

  it('refuses a registry host the SSRF guard does not allow, before the engine connects', async () => {
    const puller = new ImagePuller(docker, 'always', 30_000, new NetGuard());
    const credentials = [{ server: registry.host, username: registry.username, password: registry.password }];
    await expect(puller.ensure(image, credentials)).rejects.toThrow(
      new StepStartError(
        `cannot pull image "${image}": registry host ${registry.host} is a loopback address; ` +
          'only hosts the operator lists in KILN_ALLOWED_PRIVATE_HOSTS may be',
      ),
    );
  });

  it("trusts the platform's own registry (KILN_REGISTRY) without an allow-list entry", async () => {
    process.env.KILN_ALLOWED_PRIVATE_HOSTS = '';
    process.env.KILN_REGISTRY = registry.host;
    try {
      const puller = new ImagePuller(docker, 'always', 30_000);
      const credentials = [
        { server: registry.host, username: registry.username, password: registry.password },
      ];
      expect(await puller.ensure(image, credentials)).toMatch(/@sha256:[0-9a-f]{64}$/);
    } finally {
      process.env.KILN_ALLOWED_PRIVATE_HOSTS = '127.0.0.1';
      delete process.env.KILN_REGISTRY;
    }
  });

  it('refuses a registry whose name resolves to a metadata address, whatever the allow-list says', async () => {
    const resolveToMetadata = async () => [{ address: '169.254.169.254', family: 4 }];
    const puller = new ImagePuller(docker, 'always', 30_000, new NetGuard(undefined, resolveToMetadata));
    await expect(puller.ensure('registry.example.test:5000/team/app:1')).rejects.toThrow(
      /registry host registry.example.test:5000 resolves to a cloud metadata address/,
    );
  });
});
