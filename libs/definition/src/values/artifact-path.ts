export type ArtifactPathCheck = { ok: true; path: string } | { ok: false; problem: string };

/**
 * Normalises an artifact path relative to the workspace and refuses anything that could point
 * outside it: absolute paths, `~`, and `..` segments that climb above the workspace root.
 */
export function checkArtifactPath(raw: string): ArtifactPathCheck {
  if (/^([/\\]|[A-Za-z]:[/\\])/.test(raw)) {
    return { ok: false, problem: `"${raw}" must be relative to the workspace, not an absolute path` };
  }
  if (raw.startsWith('~'))
    return {
      ok: false,
      problem: `"${raw}" starts with "~", which is not expanded; give a path relative to the workspace`,
    };
  if (raw.includes('\\'))
    return { ok: false, problem: `"${raw}" contains "\\"; separate directories with "/"` };
  if (/[*?[\]{}]/.test(raw))
    return { ok: false, problem: `"${raw}" contains a glob character; name a file or a directory` };
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return { ok: false, problem: `"${raw}" leaves the workspace through ".."` };
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  if (segments.length === 0) return { ok: true, path: '.' };
  return { ok: true, path: segments.join('/') + (raw.endsWith('/') ? '/' : '') };
}
