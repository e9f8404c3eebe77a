/**
 * The one environment every git Kiln starts runs in (the apps' git and the Kubernetes checkout
 * container alike). Git talks to repositories tenants name, so it:
 * - never waits for a person: no terminal prompt, no askpass helper, ssh in batch mode;
 * - reads no system configuration (a credential helper or `url.insteadOf` there would apply to
 *   tenants' URLs) and runs no hooks; the apps also read no global file (gitProcessEnv), while
 *   the checkout container keeps its image's (HOME is an empty /tmp there, the image the operator's);
 * - speaks only the protocols repository URLs may name (no `ext::`, no remote helpers);
 * - answers in English, since callers tell errors apart by their text.
 */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '/bin/false',
  SSH_ASKPASS: '/bin/false',
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
  GIT_CONFIG_NOSYSTEM: '1',
  // Configuration given through the environment, as `-c` would be (git 2.31+).
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'core.hooksPath',
  GIT_CONFIG_VALUE_0: '/dev/null',
  GIT_ALLOW_PROTOCOL: 'https:http:ssh:git:file',
  LC_ALL: 'C',
};

/**
 * The apps' git: the process environment without its own GIT_* variables (a GIT_DIR or
 * GIT_SSH_COMMAND there would redirect git), GIT_ENV, and no global file (the service user's
 * ~/.gitconfig may hold a person's credential helpers and URL rewrites).
 */
export function gitProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith('GIT_')) env[key] = value;
  return { ...env, ...GIT_ENV, GIT_CONFIG_GLOBAL: '/dev/null' };
}

/** Drops credentials from repository URLs in a text before it is written anywhere. */
export function redactUrls(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//***@');
}
