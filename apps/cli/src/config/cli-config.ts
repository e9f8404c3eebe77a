import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AuthError, UsageError } from '../errors';

/** What `kiln login` stores. */
export interface StoredConfig {
  server?: string;
  token?: string;
}

/** Where the CLI talks to and as whom, after environment overrides. */
export interface Credentials {
  server: string;
  token: string;
}

export const DEFAULT_SERVER = 'http://localhost:8080';

/** `$XDG_CONFIG_HOME/kiln/config.json`, else `~/.config/kiln/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'kiln', 'config.json');
}

export function readStoredConfig(path = configPath()): StoredConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    const { server, token } = parsed as Record<string, unknown>;
    return {
      server: typeof server === 'string' ? server : undefined,
      token: typeof token === 'string' ? token : undefined,
    };
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON (${(error as Error).message}); run \`kiln login\` again`);
  }
}

/**
 * Writes the config readable by its owner only: the token is a credential. The file is written
 * beside the old one with mode 0600 and renamed over it, so it is never briefly world-readable.
 */
export function writeStoredConfig(config: StoredConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** `KILN_SERVER` / `KILN_TOKEN` win over the stored config, so CI needs no login. */
export function resolveCredentials(
  env: NodeJS.ProcessEnv = process.env,
  path = configPath(env),
): Credentials {
  const stored = readStoredConfig(path);
  const server = normalizeServer(env.KILN_SERVER?.trim() || stored.server || DEFAULT_SERVER);
  const token = env.KILN_TOKEN?.trim() || stored.token;
  if (!token) throw new AuthError('not logged in: run `kiln login` or set KILN_TOKEN');
  return { server, token };
}

/** Accepts `host:port` or a URL; answers the origin (plus any path) without a trailing slash. */
export function normalizeServer(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`"${value}" is not a server URL (expected e.g. http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${value}" must be an http:// or https:// URL`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
