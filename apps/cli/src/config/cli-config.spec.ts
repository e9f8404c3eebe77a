import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, UsageError } from '../errors';
import {
  configPath,
  normalizeServer,
  readStoredConfig,
  resolveCredentials,
  writeStoredConfig,
} from './cli-config';

describe('CLI config', () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'kiln-cli-config-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('lives under XDG_CONFIG_HOME when it is set', () => {
    expect(configPath({ XDG_CONFIG_HOME: home })).toBe(join(home, 'kiln', 'config.json'));
  });

  it('stores the token readable by its owner only, even over an older world-readable file', () => {
    const path = configPath({ XDG_CONFIG_HOME: home });
    writeStoredConfig({ server: 'http://a', token: 'old' }, path);
    writeFileSync(path, '{"token":"old"}', { mode: 0o644 });
    writeStoredConfig({ server: 'http://kiln:8080', token: 'kiln_secret' }, path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'kiln')).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      server: 'http://kiln:8080',
      token: 'kiln_secret',
    });
  });

  it('lets KILN_SERVER and KILN_TOKEN override the stored login', () => {
    const env = { XDG_CONFIG_HOME: home, KILN_SERVER: 'https://ci.example.com/', KILN_TOKEN: 'kiln_env' };
    writeStoredConfig({ server: 'http://stored:8080', token: 'kiln_stored' }, configPath(env));
    expect(resolveCredentials(env)).toEqual({ server: 'https://ci.example.com', token: 'kiln_env' });
    expect(resolveCredentials({ XDG_CONFIG_HOME: home })).toEqual({
      server: 'http://stored:8080',
      token: 'kiln_stored',
    });
  });

  it('says how to log in when there is no token anywhere', () => {
    expect(() => resolveCredentials({ XDG_CONFIG_HOME: home })).toThrow(AuthError);
    expect(() => resolveCredentials({ XDG_CONFIG_HOME: home })).toThrow(/kiln login/);
  });

  it('reports a damaged config file by name instead of crashing', () => {
    const path = configPath({ XDG_CONFIG_HOME: home });
    writeStoredConfig({}, path);
    writeFileSync(path, '{not json');
    expect(() => readStoredConfig(path)).toThrow(UsageError);
    expect(() => readStoredConfig(path)).toThrow(path);
  });

  it('accepts host:port and URLs, and refuses other schemes', () => {
    expect(normalizeServer('localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeServer('https://kiln.example.com/ci/')).toBe('https://kiln.example.com/ci');
    expect(() => normalizeServer('ftp://x')).toThrow(UsageError);
  });
});
