import { Forge } from './forge';
import { githubForge } from './github/github.forge';
import { gitlabForge } from './gitlab/gitlab.forge';

const FORGES: ReadonlyMap<string, Forge> = new Map([githubForge, gitlabForge].map((f) => [f.name, f]));

/** The forge of a project's provider; undefined for plain git repositories and unknown providers. */
export function forgeFor(provider: string): Forge | undefined {
  return FORGES.get(provider);
}
