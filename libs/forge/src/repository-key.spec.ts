import { repositoryKey } from './repository-key';

describe('repositoryKey', () => {
  it.each([
    'https://github.com/Acme/API.git',
    'https://github.com/acme/api',
    'https://github.com/acme/api/',
    'http://github.com/acme/api.git',
    'git@github.com:acme/api.git',
    'git@github.com:Acme/api',
    'ssh://git@github.com/acme/api.git',
    'ssh://git@github.com:22/acme/api/',
    'git://github.com/acme/api.git',
    ' https://user@github.com/acme/api.git ',
  ])('reads %s as github.com/acme/api', (url) => {
    expect(repositoryKey(url)).toBe('github.com/acme/api');
  });

  it('keeps GitLab subgroups and hosts apart', () => {
    expect(repositoryKey('https://gitlab.example.com/group/sub/app.git')).toBe('gitlab.example.com/group/sub/app');
    expect(repositoryKey('git@gitlab.example.com:group/sub/app.git')).toBe('gitlab.example.com/group/sub/app');
    expect(repositoryKey('https://gitlab.com/acme/api')).not.toBe(repositoryKey('https://github.com/acme/api'));
  });

  it.each(['/srv/repos/app', 'file:///srv/repos/app', 'not a url', 'https://github.com/justowner', 'ftp://host/a/b'])(
    'has no key for %s',
    (url) => {
      expect(repositoryKey(url)).toBeUndefined();
    },
  );
});
