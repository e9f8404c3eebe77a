export interface SandboxSpec {
  /** Host directory bound read-write at /workspace. */
  workspaceDir: string;
  /** Hostname inside the sandbox (its name, as reported in events). */
  hostname: string;
  env: Record<string, string>;
  commands: string[];
  /** Share the host network; without it only a private loopback exists. */
  network: boolean;
}

/** Variables every sandbox starts with; the step's own environment may override them. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  HOME: '/tmp',
  PATH: '/usr/local/bin:/usr/bin:/bin',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names and values a process environment cannot carry; empty when the environment is usable. */
export function environmentProblems(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => {
    if (!ENV_NAME.test(name)) return [`invalid environment variable name ${JSON.stringify(name)}`];
    if (value.includes('\0')) return [`environment variable ${name} contains a NUL byte`];
    return [];
  });
}

/** bwrap writes `{"child-pid": N}` here: the sandbox's PID-namespace init, killed to end the sandbox. */
export const STATUS_FD = 3;

/**
 * The bubblewrap argv for one step (bubblewrap 0.8): an empty root with the host's /usr and /etc
 * read-only, fresh /proc, /dev and /tmp, the run's workspace at /workspace, every namespace
 * unshared, and only the given environment.
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  // A read-only root bind would leave no place to create /workspace, hence the tmpfs root.
  const args = [
    '--json-status-fd', String(STATUS_FD),
    '--tmpfs', '/',
    '--ro-bind', '/usr', '/usr',
    '--ro-bind', '/etc', '/etc',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/sbin', '/sbin',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--bind', spec.workspaceDir, '/workspace',
    '--chdir', '/workspace',
    '--unshare-all',
    ...(spec.network ? ['--share-net'] : []),
    '--hostname', spec.hostname,
    // The sandbox dies with the executor, and a step cannot inject keystrokes into our terminal.
    '--die-with-parent',
    '--new-session',
    '--clearenv',
  ]; // prettier-ignore
  for (const [name, value] of Object.entries({ ...BASE_ENV, ...spec.env }))
    args.push('--setenv', name, value);
  args.push('/bin/sh', '-e', '-c', stepScript(spec.commands));
  return args;
}

/** One shell script running the commands in order, each echoed as `+ command` before it runs. */
export function stepScript(commands: string[]): string {
  return commands.map((command) => `printf '+ %s\\n' ${shellQuote(command)}\n${command}\n`).join('');
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `kiln-<first 8 of the run id>-<step name>-<attempt>`, usable as a hostname (63 characters at most). */
export function sandboxName(runId: string, stepName: string, attempt: number): string {
  const step = stepName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const prefix = `kiln-${runId.slice(0, 8)}-`;
  const suffix = `-${attempt}`;
  return `${prefix}${step.slice(0, 63 - prefix.length - suffix.length).replace(/-+$/, '') || 'step'}${suffix}`;
}
