import { Forge } from './forge';
import { githubForge } from './github/github.forge';
import { gitlabForge } from './gitlab/gitlab.forge';

/** Every forge Kiln knows; a new provider is one folder and one entry here. */
const FORGES = [githubForge, gitlabForge] as const;

/** The names of the providers that have a forge (webhooks and commit statuses). */
export type ForgeName = (typeof FORGES)[number]['name'];

/** Projects of provider `git` are plain repositories: cloned by URL, no webhooks, no commit statuses. */
export const PLAIN_GIT = 'git';

/** A provider name no forge is registered for (and that is not plain git). */
export class UnknownProviderError extends Error {
  constructor(readonly provider: string) {
    super(`unknown provider "${provider.slice(0, 40)}"; use ${[...BY_NAME.keys()].join(' or ')}`);
    this.name = 'UnknownProviderError';
  }
}

const BY_NAME: ReadonlyMap<string, Forge<ForgeName>> = new Map(FORGES.map((forge) => [forge.name, forge]));

/**
 * The forge of a provider; null for plain git repositories. Any other name is an error, never
 * another provider's forge.
 */
export function forgeFor(provider: string): Forge<ForgeName> | null {
  const forge = BY_NAME.get(provider);
  if (forge) return forge;
  if (provider === PLAIN_GIT) return null;
  throw new UnknownProviderError(provider);
}
