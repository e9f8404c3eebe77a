import { Matches, MaxLength } from 'class-validator';

/**
 * A branch, tag or sha as git accepts it (git check-ref-format, simplified): no spaces, control
 * characters, `~^:?*[\`, `..` or leading `-`, so it can never be read as an option or a range.
 */
export const GIT_REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!\/)(?!.*[/.]$)[^\s~^:?*[\\\p{Cc}]+$/u;

export function IsGitRef(field: string): PropertyDecorator {
  const pattern = Matches(GIT_REF_PATTERN, {
    message: `${field} must be a valid git branch, tag or commit sha`,
  });
  const length = MaxLength(255);
  return (target, key) => {
    pattern(target, key);
    length(target, key);
  };
}
