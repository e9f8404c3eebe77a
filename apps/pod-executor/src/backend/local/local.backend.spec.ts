import { createGitRepo, TestGitRepo } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, StepSpec, StepStartError, WorkspaceSetupError } from '../backend';
import { LocalBackend } from './local.backend';
import { runBackendStep } from '../backend.spec-helper';

describe('local backend (real bubblewrap)', () => {
  let dataDir: string;
  let repo: TestGitRepo;
  let firstSha: string;
  let secondSha: string;
  let backend: Backend;

  beforeAll(() => {
    repo = createGitRepo();
    firstSha = repo.commit({ 'README.md': 'first version\n' });
    secondSha = repo.commit({ 'README.md': 'second version\n', 'src/app.txt': 'app\n' });
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kiln-executor-'));
    backend = new LocalBackend({ dataDir, bwrapPath: '/usr/bin/bwrap', network: false });
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  afterAll(() => repo.remove());

  function spec(commands: string[], overrides: Partial<StepSpec> = {}): StepSpec {
    return {
      runId: overrides.runId ?? randomUUID(),
      repoUrl: repo.url,
      commitSha: firstSha,
      gitRef: 'refs/heads/main',
      stepId: randomUUID(),
      stepName: 'build',
      attempt: 1,
      image: 'node:20',
      commands,
      env: {},
      timeoutMs: 60_000,
      ...overrides,
    };
  }

  const runStep = (step: StepSpec) => runBackendStep(backend, step);

  it('runs the commands in /workspace with the step environment only, echoing each command', async () => {
    const step = spec(['echo "project=$PLATFORM_PROJECT_NAME ci=$CI home=$HOME"', 'pwd', 'env | sort'], {
      env: { PLATFORM_PROJECT_NAME: 'acme', CI: 'true' },
    });
    const { exit, text, lines } = await runStep(step);
    expect(exit).toEqual({ exitCode: 0 });
    expect(lines[1]).toMatchObject({
      stream: 'stdout',
      text: '+ echo "project=$PLATFORM_PROJECT_NAME ci=$CI home=$HOME"',
    });
    expect(text).toContain('project=acme ci=true home=/tmp');
    expect(text).toContain('\n/workspace\n');
    expect(text).not.toMatch(/^(NATS_URL|DATABASE_URL|JEST_WORKER_ID)=/m);
    expect(lines.every((l) => l.ts > Date.now() - 60_000)).toBe(true);
  });

  it('checks out the repository at the run commit, not the branch tip', async () => {
    const { text, exit } = await runStep(
      spec(['cat README.md', 'git rev-parse HEAD', 'test ! -e src/app.txt']),
    );
    expect(exit.exitCode).toBe(0);
    expect(text).toContain('first version');
    expect(text).toContain(firstSha);
    const later = await runStep(spec(['cat README.md src/app.txt'], { commitSha: secondSha }));
    expect(later.text).toContain('second version\napp');
  });

  it('reports the exit code of the failing command and stops there', async () => {
    const { exit, text, lines } = await runStep(spec(['echo before', 'echo oops >&2; exit 3', 'echo never']));
    expect(exit).toEqual({ exitCode: 3 });
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', text: 'oops' }));
    expect(text).not.toContain('never');
  });

  it('shares the workspace between the steps of a run, cloned once', async () => {
    const runId = randomUUID();
    const [first, second] = await Promise.all([
      runStep(spec(['echo built > output.txt'], { runId, stepName: 'build' })),
      runStep(spec(['true'], { runId, stepName: 'lint' })),
    ]);
    expect([first.exit.exitCode, second.exit.exitCode]).toEqual([0, 0]);
    const next = await runStep(spec(['cat output.txt'], { runId, stepName: 'test' }));
    expect(next.text).toContain('built');
    expect(existsSync(join(dataDir, 'workspaces', runId, 'output.txt'))).toBe(true);
  });

  it('says first, before any output of the step, that the image is not used', async () => {
    const { lines } = await runStep(spec(['echo hello'], { image: 'alpine:3.20' }));
    expect(lines[0]).toMatchObject({
      stream: 'system',
      text: `the local backend runs steps in a bubblewrap sandbox on this host's /usr; image "alpine:3.20" is not used`,
    });
    expect(lines.slice(1).map((l) => l.text)).toEqual(['+ echo hello', 'hello']);
  });

  it('hides the host filesystem outside /usr, and the network', async () => {
    const { text, exit } = await runStep(
      spec([
        'ls /',
        'test ! -e /root && echo no-root',
        `test ! -e ${dataDir} && echo no-data-dir`,
        'test ! -e /run && test ! -e /var && echo no-run-no-var',
        'test -z "$(ls -A /tmp)" && echo empty-tmp',
        'cat /proc/net/dev',
      ]),
    );
    expect(exit.exitCode).toBe(0);
    expect(text).toContain('no-root');
    expect(text).toContain('no-data-dir');
    expect(text).toContain('no-run-no-var');
    expect(text).toContain('empty-tmp');
    const interfaces = text.split('\n').filter((l) => /^\s*\w+:\s+\d/.test(l));
    expect(interfaces.map((l) => l.trim().split(':')[0])).toEqual(['lo']);
  });

  it('runs a step as the user it names, and refuses root', async () => {
    const { text, exit } = await runStep(
      spec(['echo "uid=$(id -u) gid=$(id -g)"', 'touch written'], { user: '2000:3000' }),
    );
    expect(exit.exitCode).toBe(0);
    expect(text).toContain('\nuid=2000 gid=3000\n');
    const root = spec(['true'], { user: '0' });
    await backend.setupRun(root);
    await expect(backend.startStep(root)).rejects.toThrow(/user 0 \(root\) is refused/);
  });

  it('runs the step as an unprivileged uid with a minimal /etc and no /etc/shadow', async () => {
    const { text, exit } = await runStep(
      spec([
        'echo "uid=$(id -u) gid=$(id -g) user=$(id -un)"',
        'cat /etc/passwd',
        'test ! -e /etc/shadow && echo no-shadow',
        'ls /etc',
      ]),
    );
    expect(exit.exitCode).toBe(0);
    expect(text).toContain('\nuid=1000 gid=1000 user=kiln\n');
    expect(text).toContain(
      'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
        'kiln:x:1000:1000:kiln step:/tmp:/bin/sh\n' +
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    );
    expect(text).toContain('no-shadow');
    const etc = text.slice(text.lastIndexOf('+ ls /etc\n') + '+ ls /etc\n'.length).split('\n');
    expect(
      etc.filter(
        (name) => name && !/^(alternatives|ca-certificates(\.conf)?|ld\.so\.cache|localtime|ssl)$/.test(name),
      ),
    ).toEqual(['group', 'hosts', 'nsswitch.conf', 'passwd']);
  });

  it('writes the workspace as the step user, leaving files the executor owns and can collect', async () => {
    const step = spec([
      'mkdir -p dist && echo built > dist/app.txt',
      'echo changed >> README.md',
      'git status --porcelain',
      'git -c user.name=ci -c user.email=ci@example.com commit -qam "built in ci" && git log -1 --format=%s',
    ]);
    const { text, exit } = await runStep(step);
    expect(exit.exitCode).toBe(0);
    expect(text).toContain(' M README.md\n?? dist/');
    expect(text).toContain('built in ci');
    const workspace = (await backend.workspaceDir(step.runId))!;
    expect(readFileSync(join(workspace, 'dist/app.txt'), 'utf8')).toBe('built\n');
    expect(statSync(join(workspace, 'dist/app.txt')).uid).toBe(process.getuid!());
  });

  it('cannot connect to a TCP listener or an abstract socket of the host', async () => {
    const connections: string[] = [];
    const tcp = await listen(
      createServer(() => connections.push('tcp')),
      { port: 0, host: '127.0.0.1' },
    );
    const abstractName = `kiln-test-${randomUUID()}`;
    const abstract = await listen(
      createServer(() => connections.push('abstract')),
      { path: `\0${abstractName}` },
    );
    const port = (tcp.address() as { port: number }).port;
    const connect = (target: string) =>
      `node -e 'require("net").connect(${target}).on("connect", () => { console.log("connected"); process.exit(0) }).on("error", (e) => console.log("failed", e.code))'`;
    try {
      const isolated = await runStep(
        spec([connect(`${port}, "127.0.0.1"`), connect(`"\\0${abstractName}"`)]),
      );
      expect(isolated.exit.exitCode).toBe(0);
      expect(isolated.text).toContain('failed ECONNREFUSED\n');
      expect(isolated.text).not.toMatch(/^connected$/m);
      expect(connections).toEqual([]);
      // The same commands with the host network reach both: the check above can see a connection.
      backend = new LocalBackend({ dataDir, bwrapPath: '/usr/bin/bwrap', network: true });
      const shared = await runStep(spec([connect(`${port}, "127.0.0.1"`), connect(`"\\0${abstractName}"`)]));
      expect(shared.text.split('\n').filter((l) => l === 'connected')).toHaveLength(2);
      expect(connections.sort()).toEqual(['abstract', 'tcp']);
    } finally {
      tcp.close();
      abstract.close();
    }
  });

  it('kills the whole sandbox, including background processes', async () => {
    const step = spec(['sleep 313 & echo started', 'sleep 314']);
    await backend.setupRun(step);
    const handle = await backend.startStep(step);
    const lines: string[] = [];
    const tail = (async () => {
      for await (const line of backend.tailLogs(handle)) lines.push(...line.text.split('\n'));
    })();
    while (!lines.includes('started')) await new Promise((r) => setTimeout(r, 20));
    const killedAt = Date.now();
    await backend.kill(handle, 'timeout');
    expect(await backend.wait(handle)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    await tail;
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(processesMatching(/^sleep 31[34]$/)).toEqual([]);
  });

  it('kills a sandbox that is still being set up, leaving nothing behind', async () => {
    const runId = randomUUID();
    for (let i = 0; i < 40; i++) {
      const step = spec(['sleep 315'], { runId, stepId: randomUUID() });
      await backend.setupRun(step);
      const handle = await backend.startStep(step);
      await new Promise((r) => setTimeout(r, i % 10));
      await backend.kill(handle, 'cancel');
      const exit = await Promise.race([
        backend.wait(handle),
        new Promise((r) => setTimeout(() => r('hung'), 3000)),
      ]);
      expect(exit).toMatchObject({ signal: 'SIGKILL' });
    }
    expect(processesMatching(/^sleep 315$/)).toEqual([]);
  });

  it('refuses an environment variable name a process cannot carry', async () => {
    const step = spec(['true'], { env: { 'BAD-NAME': 'x' } });
    await backend.setupRun(step);
    await expect(backend.startStep(step)).rejects.toThrow(
      new StepStartError('invalid environment variable name "BAD-NAME"'),
    );
  });

  it('fails setup with the reason when the commit does not exist', async () => {
    const step = spec(['true'], { commitSha: 'f'.repeat(40) });
    await expect(backend.setupRun(step)).rejects.toThrow(WorkspaceSetupError);
    await expect(backend.setupRun(step)).rejects.toThrow(
      /^cannot check out f{40}: cannot fetch the repository: it does not exist, is not reachable, or needs credentials$/,
    );
  });

  it('removes the workspace on destroy, safely twice and for unknown runs', async () => {
    const step = spec(['true']);
    await runStep(step);
    expect(await backend.workspaceDir(step.runId)).toBe(join(dataDir, 'workspaces', step.runId));
    await backend.destroyRun(step.runId);
    await backend.destroyRun(step.runId);
    await backend.destroyRun(randomUUID());
    expect(await backend.workspaceDir(step.runId)).toBeNull();
  });
});

function listen(server: Server, address: { port: number; host: string } | { path: string }): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => resolve(server));
  });
}

function processesMatching(pattern: RegExp): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return ''; // the process ended while we looked
      }
    })
    .filter((cmdline) => pattern.test(cmdline));
}
