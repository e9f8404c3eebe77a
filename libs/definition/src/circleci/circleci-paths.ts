import { checkArtifactPath } from '../values/artifact-path';

/** CircleCI's working directory when a job names none. */
export const DEFAULT_WORKING_DIRECTORY = '~/project';

/**
 * Where a CircleCI path lands in Kiln. The job's working directory is the checkout, which Kiln
 * mounts as the workspace, so paths under it become workspace-relative; other absolute and `~`
 * paths stay outside the workspace and are written for the shell (`~` as `$HOME`).
 */
export type MappedPath = { inside: true; path: string } | { inside: false; shell: string; problem?: string };

export function mapPath(raw: string, workingDirectory: string): MappedPath {
  const text = raw.trim();
  const base = trimSlash(workingDirectory);
  const homeBase = base.replace(/^\/home\/circleci(?=\/|$)/, '~');
  for (const prefix of new Set([base, homeBase])) {
    if (text === prefix || text === `${prefix}/`) return { inside: true, path: '.' };
    if (text.startsWith(`${prefix}/`)) return relative(text.slice(prefix.length + 1));
  }
  if (text.startsWith('/') || text.startsWith('~')) return { inside: false, shell: shellPath(text) };
  return relative(text);
}

function relative(text: string): MappedPath {
  const checked = checkArtifactPath(text);
  if (checked.ok) return { inside: true, path: checked.path };
  return { inside: false, shell: shellPath(text), problem: checked.problem };
}

/** A path for a shell command: quoted, with a leading `~` expanded through `$HOME`. */
export function shellPath(path: string): string {
  if (path === '~' || path.startsWith('~/'))
    return `"$HOME"${shellQuote(path.slice(1)) === "''" ? '' : shellQuote(path.slice(1))}`;
  return shellQuote(path);
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
