/**
 * The one environment every git Kiln starts runs in (the apps' git and the Kubernetes checkout
 * container alike). Git talks to repositories tenants name, so it:
 * - never waits for a person: no terminal prompt, no askpass helper, ssh in batch mode;
 * - reads no configuration but its own and the repository's: no system or global file (a
 *   credential helper or `url.insteadOf` there would apply to tenants' URLs), no hooks;
 * - speaks only the protocols repository URLs may name (no `ext::`, no remote helpers);
 * - answers in English, since callers tell errors apart by their text.
 */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '/bin/false',
  SSH_ASKPASS: '/bin/false',
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  // Configuration given through the environment, as `-c` would be (git 2.31+).
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'core.hooksPath',
  GIT_CONFIG_VALUE_0: '/dev/null',
  GIT_ALLOW_PROTOCOL: 'https:http:ssh:git:file',
  LC_ALL: 'C',
};

/** The process environment without its own GIT_* variables (a GIT_DIR or GIT_SSH_COMMAND there would redirect git), plus GIT_ENV. */
export function gitProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith('GIT_')) env[key] = value;
  return { ...env, ...GIT_ENV };
}

/** Drops credentials from repository URLs in a text before it is written anywhere. */
export function redactUrls(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//***@');
}
