import { runVariablesProblems } from '@kiln/api-wire';

/**
 * The API's input rules, checked in the browser before a request so each field shows its problem
 * at once. The messages are the gateway's own (its DTOs), so a user reads one wording either way;
 * the gateway still decides, and its 400 `details` land on the same fields.
 */
export type Problems<K extends string> = Partial<Record<K, string>>;
type Rule = (value: string) => string | null;

const NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/;
const NAME_RULE =
  'name must be at most 63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const REPO_FULL_NAME =
  /^(?!.*\.\.)(?!(.*\/)?\.(\/|$))[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$/;
const GIT_REF = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!\/)(?!.*[/.]$)[^\s~^:?*[\\\p{Cc}]+$/u;
const CONFIG_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\\\p{Cc}]+$/u;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const rules = {
  name: (v: string) => (v.length <= 63 && NAME.test(v) ? null : NAME_RULE),
  repoUrl: (v: string) =>
    v.trim().length === 0 ? 'repo_url must not be empty' : v.length > 2000 ? 'repo_url is too long' : null,
  repoFullName: (v: string) =>
    v.length <= 255 && REPO_FULL_NAME.test(v)
      ? null
      : 'repo_full_name must look like "owner/name" or "group/sub/name": letters, digits, "-", "_" and ".", no "..", no leading or trailing "/"',
  gitRef: (field: string) => (v: string) =>
    v.length <= 255 && GIT_REF.test(v) ? null : `${field} must be a valid git branch, tag or commit sha`,
  length: (field: string, min: number, max: number) => (v: string) =>
    v.length >= min && v.length <= max
      ? null
      : min <= 1
        ? `${field} must not be empty or longer than ${max} characters`
        : `${field} must be ${min} to ${max} characters long`,
  configPath: (v: string) =>
    v.length >= 1 && v.length <= 500 && CONFIG_PATH.test(v)
      ? null
      : 'config_path must be a relative path inside the repository (no leading "/" and no "..")',
  secretName: (v: string) =>
    v.length <= 128 && SECRET_NAME.test(v)
      ? null
      : 'name must be letters, digits and "_", not starting with a digit',
  httpUrl: (v: string) => {
    try {
      const url = new URL(v);
      return url.protocol === 'http:' || url.protocol === 'https:'
        ? null
        : 'url must be an http:// or https:// URL';
    } catch {
      // Not parseable at all: the same answer as a wrong scheme.
      return 'url must be an http:// or https:// URL';
    }
  },
  email: (v: string) => (EMAIL.test(v.trim()) ? null : 'email must be an email address'),
  registryHost: (v: string) =>
    REGISTRY_HOST.test(v) ? null : 'server must be a lowercase registry host, optionally with :port',
} satisfies Record<string, Rule | ((...args: never[]) => Rule)>;

/**
 * Checks each present field against its rule; `optional` fields may be left empty.
 * Answers the problems by field name, empty when all pass.
 */
export function check<K extends string>(
  values: Record<K, string>,
  fieldRules: Partial<Record<K, Rule>>,
  optional: NoInfer<K>[] = [],
): Problems<K> {
  const problems: Problems<K> = {};
  for (const key of Object.keys(fieldRules) as K[]) {
    const value = values[key] ?? '';
    if (value === '' && optional.includes(key)) continue;
    const problem = fieldRules[key]!(value);
    if (problem) problems[key] = problem;
  }
  return problems;
}

/**
 * Run variables typed one `NAME=value` a line (blank lines skipped), as the API's `variables`
 * object; `problem` is the first of the API's own problems (`runVariablesProblems`, shared with
 * the gateway), or names a line that is not `NAME=value`.
 */
export function parseVariables(text: string): { variables: Record<string, string>; problem: string | null } {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at < 0) return { variables, problem: `variables: write NAME=value, one a line; "${line.trim().slice(0, 130)}" has no "="` };
    variables[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return { variables, problem: runVariablesProblems(variables)[0] ?? null };
}
