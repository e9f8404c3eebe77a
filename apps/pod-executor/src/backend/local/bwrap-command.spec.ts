import type { StepSpec } from '../backend';
import { bwrapArgs, HOST_ETC_FILES, sandboxName, stepEnvironmentProblems, stepScript } from './bwrap-command';

describe('bubblewrap command', () => {
  const base = {
    workspaceDir: '/data/workspaces/r1',
    etcDir: '/data/sandbox-etc/1000-1000',
    user: { uid: 1000, gid: 1000 },
    hostname: 'kiln-r1-build-1',
    commands: ['make'],
    network: false,
  };

  function pairs(args: string[], flag: string): string[][] {
    return args.flatMap((a, i) => (a === flag ? [args.slice(i + 1, i + 3)] : []));
  }

  it('builds an empty root with read-only /usr, a minimal /etc and the workspace at /workspace', () => {
    const args = bwrapArgs({ ...base, env: {} });
    expect(args.slice(0, 4)).toEqual(['--json-status-fd', '3', '--tmpfs', '/']);
    expect(pairs(args, '--ro-bind')).toEqual([
      ['/usr', '/usr'],
      ['/data/sandbox-etc/1000-1000/passwd', '/etc/passwd'],
      ['/data/sandbox-etc/1000-1000/group', '/etc/group'],
      ['/data/sandbox-etc/1000-1000/hosts', '/etc/hosts'],
      ['/data/sandbox-etc/1000-1000/nsswitch.conf', '/etc/nsswitch.conf'],
    ]);
    expect(pairs(args, '--ro-bind-try')).toEqual(HOST_ETC_FILES.map((path) => [path, path]));
    const sources = ['--bind', '--ro-bind', '--ro-bind-try'].flatMap((flag) =>
      pairs(args, flag).map(([source]) => source),
    );
    expect(
      sources.filter((source) => source === '/etc' || /^\/(run|var|tmp|home|root)(\/|$)/.test(source)),
    ).toEqual([]);
    expect(pairs(args, '--bind')).toEqual([['/data/workspaces/r1', '/workspace']]);
    expect(pairs(args, '--symlink')).toEqual([
      ['usr/bin', '/bin'],
      ['usr/lib', '/lib'],
      ['usr/lib64', '/lib64'],
      ['usr/sbin', '/sbin'],
    ]);
    expect(args).toEqual(
      expect.arrayContaining(['--unshare-all', '--die-with-parent', '--new-session', '--clearenv']),
    );
    expect(args.join(' ')).toContain('--unshare-user --uid 1000 --gid 1000 --disable-userns');
    expect(args[args.indexOf('--chdir') + 1]).toBe('/workspace');
    expect(args).not.toContain('--share-net');
    expect(args.slice(-4, -1)).toEqual(['/bin/sh', '-e', '-c']);
  });

  it('shares the network and the host resolv.conf only when asked', () => {
    const args = bwrapArgs({ ...base, env: {}, network: true });
    expect(args).toContain('--share-net');
    expect(pairs(args, '--ro-bind-try')).toContainEqual(['/etc/resolv.conf', '/etc/resolv.conf']);
  });

  it('runs the step as the configured uid and gid', () => {
    const args = bwrapArgs({ ...base, env: {}, user: { uid: 2345, gid: 6789 } });
    expect(args[args.indexOf('--uid') + 1]).toBe('2345');
    expect(args[args.indexOf('--gid') + 1]).toBe('6789');
  });

  it('sets HOME, PATH and the step environment, which may override the defaults', () => {
    const args = bwrapArgs({ ...base, env: { CI: 'true', PATH: '/opt/bin:/usr/bin' } });
    const env = Object.fromEntries(
      args.flatMap((a, i) => (a === '--setenv' ? [[args[i + 1], args[i + 2]]] : [])),
    );
    expect(env).toEqual({ HOME: '/tmp', PATH: '/opt/bin:/usr/bin', CI: 'true' });
  });

  it('echoes each command, quoted safely, before running it', () => {
    expect(stepScript(['npm ci', "echo 'it''s'"])).toBe(
      "printf '+ %s\\n' 'npm ci'\nnpm ci\nprintf '+ %s\\n' 'echo '\\''it'\\'''\\''s'\\'''\necho 'it''s'\n",
    );
  });

  it('names the sandbox kiln-<run8>-<step>-<attempt>, usable as a hostname', () => {
    expect(sandboxName('0f1e2d3c-aaaa-bbbb-cccc-000000000000', 'build-image', 2)).toBe(
      'kiln-0f1e2d3c-build-image-2',
    );
    expect(sandboxName('0f1e2d3c-aaaa', 'Unit Tests (node 20)', 1)).toBe(
      'kiln-0f1e2d3c-unit-tests-node-20-1',
    );
    expect(sandboxName('0f1e2d3c-aaaa', 'x'.repeat(100), 1)).toHaveLength(63);
  });
});

describe('stepEnvironmentProblems', () => {
  it("names what a process environment cannot carry, in the step's variables and each service's", () => {
    const step: Pick<StepSpec, 'env' | 'services'> = {
      env: { OK: 'yes', 'BAD-NAME': 'x' },
      services: [
        {
          name: 'db',
          image: 'postgres',
          environment: { USER: 'kiln' },
          secretEnvironment: { PASSWORD: 'a\0b' },
        },
        { name: 'cache', image: 'redis', environment: { MODE: 'plain' } },
      ],
    };
    expect(stepEnvironmentProblems(step)).toEqual([
      'invalid environment variable name "BAD-NAME"',
      'service db: environment variable PASSWORD contains a NUL byte',
    ]);
    expect(stepEnvironmentProblems({ env: { OK: 'yes' } })).toEqual([]);
  });
});
