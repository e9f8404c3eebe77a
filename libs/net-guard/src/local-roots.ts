import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

/**
 * Why a local repository path may not be read, or undefined when it may: it must lie inside one of
 * the operator's roots both as written and once `..` and symbolic links are followed, and never
 * inside a directory of the platform's own (its data directory: git cache, workspaces, secrets).
 */
export async function localPathRefusal(
  path: string,
  roots: string[],
  ownDirs: string[],
): Promise<string | undefined> {
  if (roots.length === 0)
    return 'is a local path, and no local repository roots are set (KILN_LOCAL_REPO_ROOTS)';
  try {
    return await refusal(resolve(path), roots, ownDirs);
  } catch {
    // Unreadable on the way (EACCES, a loop of links): nothing to clone either.
    return 'cannot be read by the platform';
  }
}

async function refusal(written: string, roots: string[], ownDirs: string[]): Promise<string | undefined> {
  const real = await realpathOfExisting(written);
  const realRoots = await Promise.all(roots.map((r) => realpathOfExisting(resolve(r))));
  const inRoot = roots.some((root, i) => isInside(written, resolve(root)) && isInside(real, realRoots[i]!));
  if (!inRoot)
    return 'is outside the directories local repositories may be read from (KILN_LOCAL_REPO_ROOTS)';
  const realOwn = await Promise.all(ownDirs.map((d) => realpathOfExisting(resolve(d))));
  if (realOwn.some((own) => isInside(real, own))) return "is inside the platform's own data directory";
  return undefined;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

// The real path of the longest existing prefix, the rest appended: a repository that does not
// exist yet (or a typo) is judged by where it would be.
async function realpathOfExisting(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const parent = dirname(path);
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === path) throw error;
    return join(await realpathOfExisting(parent), basename(path));
  }
}
