import { Matches } from 'class-validator';

/**
 * `owner/name` as the provider spells it (GitLab groups nest: `group/sub/name`). The name goes
 * into provider API paths (commit status), so no segment may be `.`, hold `..` or start with `-`.
 */
const REPO_FULL_NAME =
  /^(?!.*\.\.)(?!(.*\/)?\.(\/|$))[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$/;
export const REPO_FULL_NAME_RULE =
  'repo_full_name must look like "owner/name" or "group/sub/name": letters, digits, "-", "_" and ".", no "..", no leading or trailing "/"';

export function isRepoFullName(name: string): boolean {
  return name.length <= 255 && REPO_FULL_NAME.test(name);
}

export function IsRepoFullName(): PropertyDecorator {
  return Matches(REPO_FULL_NAME, { message: REPO_FULL_NAME_RULE });
}
