/** Step and artifact names end up in object-storage paths and Kubernetes label values. */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;
export const NAME_MAX_LENGTH = 63;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function nameProblem(name: string, noun: string): string | undefined {
  if (NAME_PATTERN.test(name) && name.length <= NAME_MAX_LENGTH) return undefined;
  const rule =
    `use at most ${NAME_MAX_LENGTH} lowercase letters, digits, "-", "_" and ".", ` +
    'starting and ending with a letter or digit';
  const fixed = name
    .toLowerCase()
    .replace(/[^-a-z0-9_.]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, NAME_MAX_LENGTH);
  const hint = fixed && fixed !== name && NAME_PATTERN.test(fixed) ? ` (e.g. "${fixed}")` : '';
  return `"${name}" is not a valid ${noun} name; ${rule}${hint}`;
}
