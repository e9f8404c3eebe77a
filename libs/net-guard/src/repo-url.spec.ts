import { checkRepoUrl } from './repo-url';

describe('checkRepoUrl', () => {
  it.each([
    ['https://github.com/acme/api.git', 'acme/api'],
    ['https://gitlab.example.com/group/sub/app', 'group/sub/app'],
    ['ssh://git@github.com:22/acme/api.git', 'acme/api'],
    ['git@github.com:acme/api.git', 'acme/api'],
    ['git://example.org/acme/api', 'acme/api'],
    ['https://token@github.com/acme/api.git', 'acme/api'],
  ])('accepts %s as %s', (url, fullName) => {
    expect(checkRepoUrl(url, false)).toEqual({ ok: true, fullName });
  });

  it.each([
    ['/srv/repos/app', 'KILN_ALLOW_LOCAL_REPOS is off'],
    ['file:///srv/repos/app', 'KILN_ALLOW_LOCAL_REPOS is off'],
    ['ftp://example.org/app', 'scheme "ftp" is not supported'],
    ['ext::sh -c touch% /tmp/pwned', 'must not contain spaces'],
    ['ext::sh', 'remote helpers'],
    ['--upload-pack=touch /tmp/x', 'must not contain spaces'],
    ['-oProxyCommand=x', 'must not start with "-"'],
    ['https://user:hunter2@github.com/acme/api.git', 'must not contain a password'],
    ['not a url', 'must not contain spaces'],
    ['justtext', 'is not a URL git can clone'],
  ])('refuses %s', (url, reason) => {
    const check = checkRepoUrl(url, false);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('accepts local repositories only when they are allowed', () => {
    expect(checkRepoUrl('file:///tmp/repo', true)).toEqual({ ok: true, fullName: null });
    expect(checkRepoUrl('/tmp/repo', true)).toEqual({ ok: true, fullName: null });
    expect(checkRepoUrl('file://host/tmp/repo', true).ok).toBe(false);
  });
});
