import { busyboxTestImage, createGitRepo, TestGitRepo, testDocker } from '@kiln/testing';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputLine, StepSpec, StepStartError } from '../backend';
import { DockerBackend } from './docker.backend';
import { DockerBackendOptions } from './docker.options';
import { LABEL } from './names';
import { prepareHelperImage, testBackendOptions } from './docker.spec-helper';
import { runBackendStep } from '../backend.spec-helper';

const IMAGE = 'kiln-test/busybox:1';
const NO_SHELL = 'kiln-test/no-shell:1';

describe('docker backend (real Docker Engine)', () => {
  let docker: Docker;
  let repo: TestGitRepo;
  let sha: string;
  let collectDir: string;
  let backend: DockerBackend;
  let options: DockerBackendOptions;
  const runs: string[] = [];

  beforeAll(async () => {
    // The unreachable registry of the pull test is on loopback, which the SSRF guard refuses unless listed.
    process.env.KILN_ALLOWED_PRIVATE_HOSTS = '127.0.0.1';
    docker = testDocker();
    await busyboxTestImage(docker, IMAGE);
    await busyboxTestImage(docker, NO_SHELL, { withoutShell: true });
    await prepareHelperImage(docker);
    repo = createGitRepo();
    sha = repo.commit({ 'README.md': 'hello from the repository\n', 'src/app.txt': 'app\n' });
  });

  beforeEach(() => {
    collectDir = mkdtempSync(join(tmpdir(), 'kiln-collect-'));
    options = testBackendOptions(collectDir);
    backend = new DockerBackend(docker, options);
  });

  afterEach(async () => {
    for (const runId of runs.splice(0)) await backend.destroyRun(runId);
    rmSync(collectDir, { recursive: true, force: true });
  });
  afterAll(() => repo.remove());

  function spec(commands: string[], overrides: Partial<StepSpec> = {}): StepSpec {
    const runId = overrides.runId ?? randomUUID();
    if (!runs.includes(runId)) runs.push(runId);
    return {
      runId,
      repoUrl: repo.url,
      commitSha: sha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'build',
      attempt: 1,
      image: IMAGE,
      commands,
      env: {},
      timeoutMs: 60_000,
      ...overrides,
    };
  }

  const runStep = (step: StepSpec) => runBackendStep(backend, step);

  it('runs the step in its image, in /workspace holding the checkout, with the step environment', async () => {
    await backend.verify();
    const { exit, text, lines } = await runStep(
      spec(['cat /etc/os-release', 'pwd', 'cat README.md', 'echo "ci=$CI"', 'echo oops >&2'], {
        env: { CI: 'true' },
      }),
    );
    expect(exit).toEqual({ exitCode: 0 });
    expect(text).toContain('NAME="kiln test busybox"');
    expect(text).not.toContain('Debian');
    expect(text).toContain('/workspace');
    expect(text).toContain('hello from the repository');
    expect(text).toContain('ci=true');
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', text: 'oops' }));
    // Order holds within each stream; stdout and stderr are read as two streams, so a stderr line
    // may come before stdout lines written earlier (CI saw "oops" first).
    expect(lines.find((line) => line.stream === 'stdout')).toEqual(
      expect.objectContaining({ stream: 'stdout', text: '+ cat /etc/os-release' }),
    );
  });

  it('shares the workspace between the steps of a run and reports their exit codes', async () => {
    const runId = randomUUID();
    const first = await runStep(spec(['echo built > out.txt'], { runId }));
    const second = await runStep(spec(['cat out.txt', 'exit 3'], { runId, stepName: 'test' }));
    expect(first.exit.exitCode).toBe(0);
    expect(second.text).toContain('built');
    expect(second.exit).toEqual({ exitCode: 3 });
  });

  it('gives steps no network but the run loopback, no capabilities beyond the default set, and no privileges', async () => {
    const server: Server = createServer((socket) => socket.end('platform secret\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { text, exit } = await runStep(
        spec([
          `if nc -w 2 127.0.0.1 ${port} </dev/null; then echo reached-host; else echo host-unreachable; fi`,
          'ls /sys/class/net',
          'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
          'id -u',
          'test ! -e /etc/shadow && echo no-shadow',
        ]),
      );
      expect(exit.exitCode).toBe(0);
      expect(text).toContain('host-unreachable');
      expect(text).not.toContain('platform secret');
      expect(text).toMatch(/^lo$/m);
      expect(text).toMatch(/NoNewPrivs:\s+1/);
      // CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID: bits 0, 1, 3, 4, 5, 6, 7.
      expect(text).toMatch(/CapEff:\s+00000000000000fb/);
      expect(text).toContain('no-shadow');
    } finally {
      server.close();
    }
  });

  it('lets two steps of one run talk over localhost through the run namespace', async () => {
    const runId = randomUUID();
    await backend.setupRun(spec([], { runId }));
    const server = await backend.startStep(
      spec(
        [
          'printf "HTTP/1.0 200 OK\\r\\n\\r\\nfrom-service\\n" > /tmp/r',
          'while true; do nc -l -p 8080 < /tmp/r; done',
        ],
        {
          runId,
          stepName: 'service',
        },
      ),
    );
    const client = await runStep(
      spec(['for i in $(seq 1 50); do wget -q -O - http://127.0.0.1:8080/ && break; sleep 0.1; done'], {
        runId,
        stepName: 'client',
      }),
    );
    expect(client.text).toContain('from-service');
    await backend.kill(server);
    expect((await backend.wait(server)).signal).toBe('SIGKILL');
  });

  it('runs a step as the user it names, with its memory and pid limits', async () => {
    const { text, exit } = await runStep(
      spec(
        [
          'id',
          'cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
          'cat /sys/fs/cgroup/pids/pids.max',
          'touch mine',
        ],
        {
          user: '1000:1000',
          resources: { memory: '64Mi' },
        },
      ),
    );
    expect(exit.exitCode).toBe(0);
    expect(text).toContain('uid=1000 gid=1000');
    expect(text).toContain(String(64 * 1024 * 1024));
    expect(text).toMatch(/^128$/m);
  });

  it('ends a step that runs out of memory with the reason', async () => {
    const { exit } = await runStep(
      spec(['head -c 200m /dev/zero | tail > /dev/null'], { resources: { memory: '32Mi' } }),
    );
    expect(exit.exitCode).toBe(137);
    expect(exit.error).toContain('out of memory (limit 32Mi)');
  });

  it('kills a running step and removes its container', async () => {
    const step = spec(['echo started', 'sleep 600']);
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: OutputLine[] = [];
    for await (const line of backend.tailLogs(handle)) {
      lines.push(line);
      if (line.text.split('\n').includes('started')) await backend.kill(handle);
    }
    expect(await backend.wait(handle)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    const left = await docker.listContainers({ all: true, filters: { name: [handle.sandboxName] } });
    expect(left).toEqual([]);
  });

  it("reports a step's exit code when the engine's wait never answers (an engine restart cuts it)", async () => {
    const containerClass = Object.getPrototypeOf(docker.getContainer('any')) as { wait: () => Promise<unknown> };
    const wait = jest.spyOn(containerClass, 'wait').mockReturnValue(new Promise(() => undefined));
    try {
      const { exit } = await runStep(spec(['echo done', 'exit 4']));
      expect(exit).toEqual({ exitCode: 4 });
      expect(wait).toHaveBeenCalled();
    } finally {
      wait.mockRestore();
    }
  });

  it('waits for a step that closed its output and runs on', async () => {
    const { exit, text } = await runStep(spec(['echo closing', 'exec >/dev/null 2>&1', 'sleep 2', 'exit 5']));
    expect(text).toContain('closing');
    expect(exit).toEqual({ exitCode: 5 });
  });

  it('records the digest of the image that ran', async () => {
    const step = spec(['true']);
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    await backend.wait(handle);
    const image = await docker.getImage(IMAGE).inspect();
    expect(handle.imageDigest).toBe(image.Id);
  });

  it('refuses an image that is not a reference, a missing one, and one without a shell, with the reason', async () => {
    const start = async (image: string, pullPolicy = options.pullPolicy) => {
      const other = new DockerBackend(docker, { ...options, pullPolicy });
      const step = spec(['true'], { image });
      await other.setupRun(step);
      return other.startStep(step).then(
        () => 'started',
        (error: Error) => (error instanceof StepStartError ? error.message : `unexpected: ${error.message}`),
      );
    };
    expect(await start('Not An/Image!!')).toMatch(/is not an image reference/);
    expect(await start('kiln-test/absent:1', 'never')).toMatch(
      /not on this executor and the pull policy is "never"/,
    );
    expect(await start('127.0.0.1:1/kiln/absent:1')).toMatch(
      /cannot pull image "127.0.0.1:1\/kiln\/absent:1": .*connection refused/,
    );
    expect(await start(NO_SHELL)).toMatch(/has no \/bin\/sh/);
  });

  it('copies artifact paths out of the run volume', async () => {
    const step = spec(['mkdir -p dist', 'echo binary > dist/app.bin']);
    await runStep(step);
    const dir = await backend.workspaceDir(step.runId, ['dist', 'missing']);
    expect(dir).toBe(join(collectDir, step.runId));
    expect(readFileSync(join(dir!, 'dist/app.bin'), 'utf8')).toBe('binary\n');
  });

  it('removes the run holder, its volume and its containers on destroy, and twice is harmless', async () => {
    const step = spec(['true']);
    await runStep(step);
    await backend.destroyRun(step.runId);
    await backend.destroyRun(step.runId);
    const filters = { label: [`${LABEL.run}=${step.runId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes).toEqual([]);
  });

  it('sweeps the containers of an executor that is gone, and runs untouched since the cut-off', async () => {
    const step = spec(['sleep 600']);
    await backend.setupRun(step);
    await backend.startStep(step);
    // The same executor id after a restart: a new backend that never started the step.
    const restarted = new DockerBackend(docker, options);
    const removed = await restarted.reapOrphans(new Date(0), new Set());
    expect(removed).toEqual([expect.stringMatching(/^kiln-.*-build-1-[0-9a-f]{4}$/)]);
    const filters = { label: [`${LABEL.run}=${step.runId}`, `${LABEL.role}=step`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    // Other suites run steps on this engine at the same time: their runs count as active here, or
    // a cut-off in the future would sweep their holders and services away mid-step.
    const managed = { label: [`${LABEL.managed}=true`] };
    const others = new Set(
      [
        ...(await docker.listContainers({ all: true, filters: managed })).map((c) => c.Labels[LABEL.run]),
        ...((await docker.listVolumes({ filters: managed })).Volumes ?? []).map((v) => v.Labels?.[LABEL.run]),
      ].filter((runId): runId is string => runId !== undefined && runId !== step.runId),
    );
    expect(await restarted.reapOrphans(new Date(Date.now() + 60_000), others)).toContain(step.runId);
    const all = { label: [`${LABEL.run}=${step.runId}`] };
    expect(await docker.listContainers({ all: true, filters: all })).toEqual([]);
    expect((await docker.listVolumes({ filters: all })).Volumes).toEqual([]);
  });
});
