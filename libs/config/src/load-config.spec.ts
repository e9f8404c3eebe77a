import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonEnv, DatabaseEnv } from './common.env';
import { ConfigError, EnvBoolean, loadEnv } from './load-config';
import { storageSettings, StorageEnv } from './storage.env';

class PortEnv {
  @IsInt() @Min(1) @Max(65535) KILN_GATEWAY_PORT: number = 8080;
  @EnvBoolean() KILN_ALLOW_LOCAL_REPOS: boolean = false;
  @IsString() KILN_REQUIRED!: string;
}

describe('loadEnv', () => {
  it('applies defaults and converts numbers and booleans', () => {
    const env = loadEnv([PortEnv, CommonEnv], { KILN_REQUIRED: 'x', KILN_ALLOW_LOCAL_REPOS: 'yes' });
    expect(env.KILN_GATEWAY_PORT).toBe(8080);
    expect(env.KILN_ALLOW_LOCAL_REPOS).toBe(true);
    expect(env.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(loadEnv([PortEnv], { KILN_REQUIRED: 'x', KILN_GATEWAY_PORT: '9000' }).KILN_GATEWAY_PORT).toBe(9000);
  });

  it('names every bad or missing variable at once', () => {
    let error: unknown;
    try {
      loadEnv([PortEnv, DatabaseEnv], { KILN_GATEWAY_PORT: 'eighty', KILN_ALLOW_LOCAL_REPOS: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^KILN_GATEWAY_PORT \("eighty"\): .*must be an integer number/m);
    expect(problems).toContain('KILN_ALLOW_LOCAL_REPOS ("maybe"): must be true or false');
    expect(problems).toContain('KILN_REQUIRED (unset)');
    expect(problems).toContain('DATABASE_URL (unset): must be a postgresql:// URL');
  });

  it('never prints secret values in its errors', () => {
    expect(() => loadEnv([DatabaseEnv], { DATABASE_URL: 'mysql://user:hunter2@db' })).toThrow(
      /DATABASE_URL \("\*\*\*"\)/,
    );
  });
});

describe('storageSettings', () => {
  it('puts the filesystem store under the data directory', () => {
    const settings = storageSettings(loadEnv([StorageEnv], { KILN_DATA_DIR: '/var/kiln' }));
    expect(settings).toEqual({ driver: 'fs', root: '/var/kiln/objects' });
  });

  it('requires an endpoint and keys for S3', () => {
    expect(() => storageSettings(loadEnv([StorageEnv], { KILN_STORAGE_DRIVER: 's3' }))).toThrow(
      /KILN_S3_ENDPOINT \(unset\): required when KILN_STORAGE_DRIVER is s3/,
    );
  });
});
