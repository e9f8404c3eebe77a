import { parseRepoUrl } from './repo-url';

describe('parseRepoUrl', () => {
  it.each([
    ['https://github.com/acme/api.git', 'acme/api'],
    ['https://gitlab.example.com/group/sub/app', 'group/sub/app'],
    ['ssh://git@github.com:22/acme/api.git', 'acme/api'],
    ['git@github.com:acme/api.git', 'acme/api'],
    ['git://example.org/acme/api', 'acme/api'],
  ])('accepts %s as %s', (url, fullName) => {
    expect(parseRepoUrl(url, false)).toMatchObject({ ok: true, kind: 'network', fullName });
  });

  it('knows the host and port git will connect to', () => {
    expect(parseRepoUrl('ssh://git@[::1]:2222/a/b', false)).toMatchObject({ host: '[::1]', port: 2222 });
    expect(parseRepoUrl('git@github.com:acme/api.git', false)).toMatchObject({
      scheme: 'ssh',
      host: 'github.com',
      port: 22,
    });
    expect(parseRepoUrl('http://0x7f000001/a/b', false)).toMatchObject({ host: '127.0.0.1', port: 80 });
    expect(parseRepoUrl('git://0x7f000001/a/b', false)).toMatchObject({ host: '0x7f000001', port: 9418 });
  });

  it.each([
    ['/srv/repos/app', 'KILN_ALLOW_LOCAL_REPOS is off'],
    ['file:///srv/repos/app', 'KILN_ALLOW_LOCAL_REPOS is off'],
    ['ftp://example.org/app', 'scheme "ftp" is not supported'],
    ['ext::sh -c touch% /tmp/pwned', 'must not contain spaces'],
    ['ext::sh', 'remote helpers'],
    ['--upload-pack=touch /tmp/x', 'must not contain spaces'],
    ['-oProxyCommand=x', 'must not start with "-"'],
    [
      'https://user:hunter2@github.com/acme/api.git',
      'must not contain credentials: put credentials in a secret',
    ],
    [
      'https://ghp_token@github.com/acme/api.git',
      'must not contain credentials: put credentials in a secret',
    ],
    ['ssh://git:pw@github.com/acme/api.git', 'must not contain credentials'],
    ['not a url', 'must not contain spaces'],
    ['justtext', 'is not a URL git can clone'],
  ])('refuses %s', (url, reason) => {
    const check = parseRepoUrl(url, false);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('accepts local repositories only when they are allowed', () => {
    expect(parseRepoUrl('file:///tmp/repo', true)).toEqual({
      ok: true,
      kind: 'local',
      path: '/tmp/repo',
      fullName: null,
    });
    expect(parseRepoUrl('/tmp/repo', true)).toEqual({
      ok: true,
      kind: 'local',
      path: '/tmp/repo',
      fullName: null,
    });
    expect(parseRepoUrl('file://host/tmp/repo', true).ok).toBe(false);
  });
});
