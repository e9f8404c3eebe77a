import { busyboxTestImage, createGitRepo, TestGitRepo, testDocker } from '@kiln/testing';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputLine, StepSpec, StepStartError } from '../backend';
import { DockerBackend } from './docker.backend';
import { LABEL } from './names';
import { eachLine } from '../backend.spec-helper';
import { prepareHelperImage, testBackendOptions } from './docker.spec-helper';

const IMAGE = 'kiln-test/busybox:1';
const SERVICE_IMAGE = 'kiln-test/echo-service:1';

describe('docker backend: a step with services (real Docker Engine)', () => {
  let docker: Docker;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  let backend: DockerBackend;
  const runs: string[] = [];

  beforeAll(async () => {
    docker = testDocker();
    await busyboxTestImage(docker, IMAGE);
    await busyboxTestImage(docker, SERVICE_IMAGE);
    await prepareHelperImage(docker);
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'services\n' });
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-collect-'));
    backend = new DockerBackend(docker, testBackendOptions(collectDir, { pullPolicy: 'never' }));
  });

  afterAll(async () => {
    for (const runId of runs) await backend.destroyRun(runId);
    rmSync(collectDir, { recursive: true, force: true });
    repo.remove();
  });

  function spec(commands: string[], services: StepSpec['services']): StepSpec {
    const runId = randomUUID();
    runs.push(runId);
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'test',
      attempt: 1,
      image: IMAGE,
      commands,
      env: {},
      timeoutMs: 60_000,
      services,
    };
  }

  const containersOf = (runId: string) =>
    docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=step`] } });

  it('starts the services before the step, reachable on 127.0.0.1 with their environment (secret variables too), and removes them after it', async () => {
    const step = spec(
      [
        'for i in $(seq 1 50); do if echo ping | nc 127.0.0.1 8080 > answer; then break; fi; sleep 0.1; done',
        'cat answer',
      ],
      [
        {
          name: 'echo',
          image: SERVICE_IMAGE,
          environment: { GREETING: 'hello from the service' },
          secretEnvironment: { PASSWORD: 'pg-s3cret' },
          commands: ['echo "$GREETING, $PASSWORD" | nc -l -p 8080'],
        },
      ],
    );
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    expect((await containersOf(step.runId)).length).toBe(2);
    const lines: string[] = [];
    for await (const line of backend.tailLogs(handle)) lines.push(...line.text.split('\n'));
    const exit = await backend.wait(handle);
    expect(exit.exitCode).toBe(0);
    expect(lines).toContain('hello from the service, pg-s3cret');
    expect(await containersOf(step.runId)).toEqual([]);
  });

  it('makes each service reachable from the step by its name', async () => {
    const step = spec(
      [
        'for i in $(seq 1 50); do if echo ping | nc db 8080 > answer; then break; fi; sleep 0.1; done',
        'cat answer',
        'echo ping | nc cache 8082',
      ],
      [
        { name: 'db', image: SERVICE_IMAGE, environment: {}, commands: ['echo db answers | nc -l -p 8080'] },
        {
          name: 'cache',
          image: SERVICE_IMAGE,
          environment: {},
          commands: ['echo cache answers | nc -l -p 8082'],
          waitFor: { port: 8082, timeoutMs: 20_000 },
        },
      ],
    );
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: string[] = [];
    for await (const line of backend.tailLogs(handle)) lines.push(...line.text.split('\n'));
    expect((await backend.wait(handle)).exitCode).toBe(0);
    expect(lines).toEqual(expect.arrayContaining(['db answers', 'cache answers']));
  });

  it("keeps each service's output in the step's log, prefixed with its name", async () => {
    const step = spec(
      // The pause: the service's own log stream, not the step's, carries what it writes after
      // serving. (Not the client's "ping" that busybox nc may print: it can quit at the end of its
      // own input before reading it, so whether it prints it is a race of nc's, not of Kiln's.)
      ['echo ping | nc 127.0.0.1 8083', 'sleep 1', 'echo step done'],
      [
        {
          name: 'db',
          image: SERVICE_IMAGE,
          environment: {},
          commands: ['echo starting up', 'echo a warning >&2', 'nc -l -p 8083', 'echo served'],
          waitFor: { port: 8083, timeoutMs: 20_000 },
        },
      ],
    );
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: OutputLine[] = [];
    for await (const line of backend.tailLogs(handle)) lines.push(...eachLine(line));
    expect((await backend.wait(handle)).exitCode).toBe(0);
    const texts = lines.map((line) => line.text);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: 'stdout', text: '[db] starting up' }),
        expect.objectContaining({ stream: 'stderr', text: '[db] a warning' }),
        expect.objectContaining({ stream: 'stdout', text: '[db] served' }),
      ]),
    );
    expect(texts.indexOf('[db] starting up')).toBeLessThan(texts.indexOf('step done'));
  });

  it('starts the step only once a wait_for port listens, so its first connection succeeds', async () => {
    const step = spec(
      ['echo ping | nc 127.0.0.1 8081'],
      [
        {
          name: 'slow',
          image: SERVICE_IMAGE,
          environment: {},
          commands: ['sleep 1', 'echo ready | nc -l -p 8081'],
          waitFor: { port: 8081, timeoutMs: 20_000 },
        },
      ],
    );
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: string[] = [];
    for await (const line of backend.tailLogs(handle)) lines.push(...line.text.split('\n'));
    expect((await backend.wait(handle)).exitCode).toBe(0);
    expect(lines).toContain('ready');
  });

  it('fails the step naming the service and port when wait_for times out, leaving no container', async () => {
    const step = spec(
      ['echo never'],
      [
        {
          name: 'db',
          image: SERVICE_IMAGE,
          environment: {},
          commands: ['sleep 30'],
          waitFor: { port: 5432, timeoutMs: 1000 },
        },
      ],
    );
    await backend.setupRun(step);
    const started = backend.startStep(step);
    await expect(started).rejects.toThrow(StepStartError);
    await expect(started).rejects.toThrow('service "db" did not accept connections on port 5432 within 1s');
    expect(await containersOf(step.runId)).toEqual([]);
  });

  it('fails the step with the reason when a service image is missing, leaving no container', async () => {
    const step = spec(['echo never'], [{ name: 'db', image: 'kiln-test/absent:1', environment: {} }]);
    await backend.setupRun(step);
    const started = backend.startStep(step);
    await expect(started).rejects.toThrow(StepStartError);
    await expect(started).rejects.toThrow(/service "db"/);
    expect(await containersOf(step.runId)).toEqual([]);
  });
});
