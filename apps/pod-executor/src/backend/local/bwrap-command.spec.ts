import { bwrapArgs, sandboxName, stepScript } from './bwrap-command';

describe('bubblewrap command', () => {
  const base = {
    workspaceDir: '/data/workspaces/r1',
    hostname: 'kiln-r1-build-1',
    commands: ['make'],
    network: false,
  };

  function pairs(args: string[], flag: string): string[][] {
    return args.flatMap((a, i) => (a === flag ? [args.slice(i + 1, i + 3)] : []));
  }

  it('builds an empty root with read-only /usr and /etc and the workspace at /workspace', () => {
    const args = bwrapArgs({ ...base, env: {} });
    expect(args.slice(0, 4)).toEqual(['--json-status-fd', '3', '--tmpfs', '/']);
    expect(pairs(args, '--ro-bind')).toEqual([
      ['/usr', '/usr'],
      ['/etc', '/etc'],
    ]);
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
    expect(args[args.indexOf('--chdir') + 1]).toBe('/workspace');
    expect(args).not.toContain('--share-net');
    expect(args.slice(-4, -1)).toEqual(['/bin/sh', '-e', '-c']);
  });

  it('shares the network only when asked', () => {
    expect(bwrapArgs({ ...base, env: {}, network: true })).toContain('--share-net');
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
