import { isRepoFullName } from './repo-full-name';

describe('isRepoFullName', () => {
  it.each(['acme/app', 'acme/app.js', 'Acme-1/my_app', 'group/sub/app', 'a/b/c/d', 'acme/.github'])(
    'accepts %s',
    (name) => expect(isRepoFullName(name)).toBe(true),
  );

  it.each([
    ['a traversal', '../../evil'],
    ['a ".." segment inside', 'acme/../app'],
    ['".." inside a segment', 'acme/a..b'],
    ['a "." segment', 'acme/./app'],
    ['a leading slash', '/acme/app'],
    ['a trailing slash', 'acme/app/'],
    ['an empty segment', 'acme//app'],
    ['one segment', 'app'],
    ['a leading "-"', 'acme/-app'],
    ['a space', 'acme/my app'],
    ['a backslash', 'acme\\app'],
    ['a query', 'acme/app?x=1'],
    ['a percent escape', 'acme/%2e%2e'],
    ['a name past 255 characters', `acme/${'a'.repeat(260)}`],
  ])('refuses %s', (_, name) => expect(isRepoFullName(name)).toBe(false));
});
