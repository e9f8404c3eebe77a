import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';

export const ROOT = join(__dirname, '..', '..');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const r = spawnSync(command, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The path of a command-line tool, or an error saying how CI gets it: these checks are never
 * skipped, so a machine without the tool fails here rather than passing silently.
 */
export function requireTool(command: string, aptPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(
    `${command} is not installed, so the packaging checks cannot run. Install the Debian package ` +
      `(apt-get install -y ${aptPackage}); scripts/setup.sh must list "${aptPackage}" among its apt packages.`,
  );
}

/** Directories under k8s/ (the Helm chart aside) that hold a kustomization. */
export function kustomizations(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (existsSync(join(dir, 'kustomization.yaml'))) out.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'helm') walk(join(dir, e.name));
    }
  };
  walk(join(ROOT, 'k8s'));
  return out.sort();
}

/** True when .dockerignore keeps `path` (relative to the repository) out of the build context. */
export function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const parts = path.replace(/\/$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const negate = pattern.startsWith('!');
    const matcher = picomatch(pattern.replace(/^!/, '').replace(/^\//, ''), { dot: true });
    if (prefixes.some((p) => matcher(p))) ignored = !negate;
  }
  return ignored;
}

export interface DockerStage {
  name: string;
  from: string;
  lines: string[];
}

/** The stages of the Dockerfile (continuation lines joined), with the ARG defaults before them. */
export function dockerfile(): { args: Record<string, string>; stages: DockerStage[] } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = line.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
    if (from) {
      stages.push({ name: from[2] ?? `#${stages.length}`, from: from[1], lines: [] });
      continue;
    }
    const arg = line.match(/^ARG\s+(\w+)(?:=(\S+))?/);
    if (arg && stages.length === 0 && arg[2]) args[arg[1]] = arg[2];
    stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}
