import { check, parseVariables, rules } from './rules';

describe('form rules (the API DTOs, in the browser)', () => {
  it('reads run variables one NAME=value a line, and names a bad line', () => {
    expect(parseVariables('TARGET=staging\n\nURL=https://x/?a=b\nEMPTY=')).toEqual({
      variables: { TARGET: 'staging', URL: 'https://x/?a=b', EMPTY: '' },
      problem: null,
    });
    expect(parseVariables('1BAD=x').problem).toMatch(/"1BAD" is not a valid variable name/);
    expect(parseVariables('NOEQUALS').problem).toMatch(/write NAME=value/);
    expect(parseVariables('K=${{ secrets.X }}').problem).toMatch(/plain text/);
    // The gateway's own limits, not a copy of them.
    expect(parseVariables(`LONG=${'x'.repeat(4097)}`).problem).toBe('variables: LONG is longer than 4096 characters');
    expect(parseVariables(Array.from({ length: 51 }, (_, i) => `V${i}=x`).join('\n')).problem).toBe('variables: at most 50 variables');
  });

  it('accepts the names the gateway accepts and words a refusal like it', () => {
    expect(rules.name('api-server.v2')).toBeNull();
    expect(rules.name('Api')).toMatch(/^name must be at most 63 lowercase/);
    expect(rules.name('x'.repeat(64))).not.toBeNull();
  });

  it('checks repository names, refs and config paths', () => {
    expect(rules.repoFullName('acme/api')).toBeNull();
    expect(rules.repoFullName('group/sub/name')).toBeNull();
    expect(rules.repoFullName('acme/../x')).not.toBeNull();
    expect(rules.gitRef('git_ref')('release/1.2')).toBeNull();
    expect(rules.gitRef('git_ref')('-rf')).toBe('git_ref must be a valid git branch, tag or commit sha');
    expect(rules.configPath('ci/.platform.yaml')).toBeNull();
    expect(rules.configPath('/etc/passwd')).not.toBeNull();
    expect(rules.configPath('a/../../b')).not.toBeNull();
  });

  it('checks secret names, URLs, emails and registry hosts', () => {
    expect(rules.secretName('NPM_TOKEN')).toBeNull();
    expect(rules.secretName('1TOKEN')).not.toBeNull();
    expect(rules.httpUrl('https://hooks.example.com/x')).toBeNull();
    expect(rules.httpUrl('ftp://x')).toBe('url must be an http:// or https:// URL');
    expect(rules.httpUrl('not a url')).toBe('url must be an http:// or https:// URL');
    expect(rules.email('ada@example.com')).toBeNull();
    expect(rules.email('ada')).toBe('email must be an email address');
    expect(rules.registryHost('registry.example.com:5000')).toBeNull();
    expect(rules.registryHost('Registry.example.com')).not.toBeNull();
  });

  it('reports each bad field by name and skips empty optional ones', () => {
    const problems = check(
      { name: 'Bad Name', repo_url: '', webhook_secret: '' },
      {
        name: rules.name,
        repo_url: rules.repoUrl,
        webhook_secret: rules.length('webhook_secret', 8, 256),
      },
      ['webhook_secret'],
    );
    expect(Object.keys(problems).sort()).toEqual(['name', 'repo_url']);
    expect(
      check({ webhook_secret: 'short' }, { webhook_secret: rules.length('webhook_secret', 8, 256) }),
    ).toEqual({
      webhook_secret: 'webhook_secret must be 8 to 256 characters long',
    });
  });
});
