import type { StepSpec } from '../backend';
import { GENERATED_ETC_FILES, SandboxUser } from './sandbox-etc';

export interface SandboxSpec {
  /** Host directory bound read-write at /workspace. */
  workspaceDir: string;
  /** Host directory holding the generated passwd, group, hosts and nsswitch.conf (sandbox-etc.ts). */
  etcDir: string;
  /** The uid and gid the step runs as, inside a user namespace of its own. */
  user: SandboxUser;
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

/** `environmentProblems` of a step's environment and of each of its services' (secret variables too). */
export function stepEnvironmentProblems(step: Pick<StepSpec, 'env' | 'services'>): string[] {
  return [
    ...environmentProblems(step.env),
    ...(step.services ?? []).flatMap((service) =>
      environmentProblems({ ...service.environment, ...service.secretEnvironment }).map(
        (problem) => `service ${service.name}: ${problem}`,
      ),
    ),
  ];
}

/** bwrap writes `{"child-pid": N}` here: the sandbox's PID-namespace init, killed to end the sandbox. */
export const STATUS_FD = 3;

/** Host files every step may read: CA certificates, Debian's alternatives, the linker's cache. */
export const HOST_ETC_FILES: readonly string[] = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/ld.so.cache',
  '/etc/localtime',
  '/etc/ssl/certs',
  '/etc/ssl/openssl.cnf',
];

/**
 * The bubblewrap argv for one step (bubblewrap 0.8): an empty root with the host's /usr read-only,
 * a minimal /etc (the generated files and HOST_ETC_FILES, read-only), fresh /proc, /dev and /tmp,
 * the run's workspace at /workspace, every namespace unshared, and only the given environment.
 * The step runs as an unprivileged uid in its own user namespace, which maps it to the executor's
 * uid: the workspace, owned by the executor, is the step's own, and what the step writes there is
 * the executor's again. It has no capability, but under an executor running as root it is host
 * uid 0 towards the files bound here: hence only these few, all read-only but the workspace.
 * Nothing else of the host is bound (no /run, /var or host /tmp, so no host socket), and the
 * abstract socket namespace belongs to the network namespace, unshared too.
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  // A read-only root bind would leave no place to create /workspace, hence the tmpfs root.
  const args = [
    '--json-status-fd', String(STATUS_FD),
    '--tmpfs', '/',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/sbin', '/sbin',
    ...GENERATED_ETC_FILES.flatMap((name) => [
      '--ro-bind', `${spec.etcDir}/${name}`, `/etc/${name}`,
    ]),
    ...[...HOST_ETC_FILES, ...(spec.network ? ['/etc/resolv.conf'] : [])].flatMap((path) => [
      '--ro-bind-try', path, path,
    ]),
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--bind', spec.workspaceDir, '/workspace',
    '--chdir', '/workspace',
    '--unshare-all',
    ...(spec.network ? ['--share-net'] : []),
    // --unshare-all only tries a user namespace; without one the uid below would not apply.
    '--unshare-user',
    '--uid', String(spec.user.uid),
    '--gid', String(spec.user.gid),
    // A user namespace of its own would give the step every capability over the kernel in it.
    '--disable-userns',
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
