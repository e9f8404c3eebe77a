import { ConfigError, loadEnv } from './load-config';
import { NetGuardEnv } from './net-guard.env';

describe('NetGuardEnv', () => {
  it('takes lists of hosts, addresses and ranges, and of absolute roots', () => {
    const env = loadEnv([NetGuardEnv], {
      KILN_ALLOWED_PRIVATE_HOSTS: 'git.corp.internal, 10.20.0.0/16,127.0.0.1,[::1],fd00::/8',
      KILN_ALLOW_LOCAL_REPOS: 'true',
      KILN_LOCAL_REPO_ROOTS: '/srv/repos,/home/ci',
    });
    expect(env).toEqual({
      KILN_ALLOWED_PRIVATE_HOSTS: 'git.corp.internal, 10.20.0.0/16,127.0.0.1,[::1],fd00::/8',
      KILN_ALLOW_LOCAL_REPOS: true,
      KILN_LOCAL_REPO_ROOTS: '/srv/repos,/home/ci',
    });
    expect(loadEnv([NetGuardEnv], {})).toEqual({
      KILN_ALLOWED_PRIVATE_HOSTS: '',
      KILN_ALLOW_LOCAL_REPOS: false,
      KILN_LOCAL_REPO_ROOTS: '',
    });
  });

  it('names a bad entry by its variable', () => {
    expect(() =>
      loadEnv([NetGuardEnv], { KILN_ALLOWED_PRIVATE_HOSTS: '10.0.0.0/40', KILN_LOCAL_REPO_ROOTS: 'repos' }),
    ).toThrow(ConfigError);
    let error: unknown;
    try {
      loadEnv([NetGuardEnv], { KILN_ALLOWED_PRIVATE_HOSTS: 'http://x/', KILN_LOCAL_REPO_ROOTS: 'repos' });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'KILN_ALLOWED_PRIVATE_HOSTS ("http://x/"): must be comma-separated host names, IP addresses or CIDR ranges',
      'KILN_LOCAL_REPO_ROOTS ("repos"): must be comma-separated absolute directories',
    ]);
  });
});
