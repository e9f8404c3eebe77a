import { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';

export interface ArtifactFile {
  /** Real path on this host (no symlink left in it). */
  absolutePath: string;
  /** Path inside the artifact: relative to the artifact's directory, or the file's name. */
  relativePath: string;
  size: number;
}

export interface SkippedFile {
  relativePath: string;
  reason: string;
}

export interface ArtifactFiles {
  files: ArtifactFile[];
  skipped: SkippedFile[];
  /** The path names nothing in the workspace (the step did not produce it). */
  missing: boolean;
}

/** An artifact path that could reach outside the workspace; nothing of it is collected. */
export class ArtifactPathError extends Error {
  override readonly name = 'ArtifactPathError';
}

const MAX_FILES = 10_000;

/**
 * The files an artifact path names inside a workspace: the file itself, or every regular file below
 * the directory. Refuses absolute paths, `..` and anything whose real path leaves the workspace;
 * symlinks inside a directory are followed only to files that stay inside, never to directories.
 */
export async function artifactFiles(workspaceDir: string, path: string): Promise<ArtifactFiles> {
  refuseHostilePath(path);
  const root = await realpath(workspaceDir);
  const real = await realpath(join(root, path)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (real === undefined) return { files: [], skipped: [], missing: true };
  if (!inside(root, real)) throw new ArtifactPathError(`"${path}" resolves to a place outside the workspace`);
  const info = await stat(real);
  if (info.isFile()) {
    const file = { absolutePath: real, relativePath: basename(join(root, path)), size: info.size };
    return { files: [file], skipped: [], missing: false };
  }
  if (!info.isDirectory()) throw new ArtifactPathError(`"${path}" is neither a file nor a directory`);
  const result: ArtifactFiles = { files: [], skipped: [], missing: false };
  await walk(root, real, '', result);
  return result;
}

function refuseHostilePath(path: string): void {
  if (path.trim() === '') throw new ArtifactPathError('the artifact path is empty');
  if (path.includes('\0')) throw new ArtifactPathError('the artifact path contains a NUL byte');
  if (isAbsolute(path) || path.startsWith('~') || /^[A-Za-z]:[\\/]/.test(path)) {
    throw new ArtifactPathError(`"${path}" is absolute; artifact paths are relative to the workspace`);
  }
  if (path.split(/[\\/]/).includes('..')) throw new ArtifactPathError(`"${path}" climbs out with ".."`);
}

async function walk(root: string, dir: string, prefix: string, result: ArtifactFiles): Promise<void> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (result.files.length >= MAX_FILES) {
      result.skipped.push({ relativePath: prefix || '.', reason: `more than ${MAX_FILES} files` });
      return;
    }
    const full = join(dir, entry.name);
    const relativePath = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      await walk(root, full, relativePath, result);
    } else if (entry.isFile()) {
      result.files.push({ absolutePath: full, relativePath, size: (await stat(full)).size });
    } else if (entry.isSymbolicLink()) {
      await followLink(root, full, relativePath, result);
    } else {
      result.skipped.push({ relativePath, reason: 'not a regular file' });
    }
  }
}

async function followLink(
  root: string,
  link: string,
  relativePath: string,
  result: ArtifactFiles,
): Promise<void> {
  const target = await realpath(link).catch(() => undefined);
  if (target === undefined) return void result.skipped.push({ relativePath, reason: 'broken symlink' });
  if (!inside(root, target))
    return void result.skipped.push({ relativePath, reason: 'symlink to outside the workspace' });
  const info = await stat(target);
  if (!info.isFile())
    return void result.skipped.push({ relativePath, reason: 'symlink to a directory (not followed)' });
  result.files.push({ absolutePath: target, relativePath, size: info.size });
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
