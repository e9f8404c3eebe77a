import { AllowList } from './allow-list';
import { NetGuard } from './net-guard';
import { RepoGuard } from './repo-guard';

/** The settings of @kiln/config's NetGuardEnv, plus the app's data directory. */
export interface NetGuardSettings {
  KILN_ALLOWED_PRIVATE_HOSTS: string;
  KILN_ALLOW_LOCAL_REPOS: boolean;
  KILN_LOCAL_REPO_ROOTS: string;
  KILN_DATA_DIR: string;
}

/** The guard for tenant-named hosts; `trusted` adds hosts the operator configured elsewhere. */
export function netGuardFrom(settings: NetGuardSettings, trusted: string[] = []): NetGuard {
  return new NetGuard(new AllowList([...listOf(settings.KILN_ALLOWED_PRIVATE_HOSTS), ...trusted]));
}

export function repoGuardFrom(settings: NetGuardSettings): RepoGuard {
  return new RepoGuard(netGuardFrom(settings), {
    allowLocal: settings.KILN_ALLOW_LOCAL_REPOS,
    localRoots: listOf(settings.KILN_LOCAL_REPO_ROOTS),
    ownDirs: [settings.KILN_DATA_DIR],
  });
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
