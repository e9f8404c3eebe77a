import { CommitStatus } from './forge';
import { forgeFor, UnknownProviderError } from './forges';

const status = (state: CommitStatus['state']): CommitStatus => ({
  state,
  targetUrl: 'https://kiln.example/runs/1',
  description: 'Run #1 cancelled',
  context: 'kiln/ci',
});

describe('forges', () => {
  it('sets a GitHub commit status with a bearer token, cancelled as error', () => {
    expect(forgeFor('github')?.commitStatusRequest('https://api.github.com', 'acme/app', 'abc123', 't0k', status('cancelled'))).toEqual({
      url: 'https://api.github.com/repos/acme/app/statuses/abc123',
      headers: { authorization: 'Bearer t0k', accept: 'application/vnd.github+json' },
      body: { state: 'error', target_url: 'https://kiln.example/runs/1', description: 'Run #1 cancelled', context: 'kiln/ci' },
    });
  });

  it('sets a GitLab commit status on the encoded project path with a private token', () => {
    expect(forgeFor('gitlab')?.commitStatusRequest('https://gitlab.example/api/v4', 'group/sub/app', 'abc123', 't0k', status('failure'))).toEqual({
      url: 'https://gitlab.example/api/v4/projects/group%2Fsub%2Fapp/statuses/abc123',
      headers: { 'private-token': 't0k' },
      body: { state: 'failed', target_url: 'https://kiln.example/runs/1', description: 'Run #1 cancelled', name: 'kiln/ci' },
    });
  });

  it('spells every run state in each API', () => {
    const states = (provider: string) =>
      (['pending', 'success', 'failure', 'cancelled'] as const).map(
        (s) => (forgeFor(provider)?.commitStatusRequest('https://api', 'a/b', 'c', 't', status(s)).body as { state: string }).state,
      );
    expect(states('github')).toEqual(['pending', 'success', 'failure', 'error']);
    expect(states('gitlab')).toEqual(['pending', 'success', 'failed', 'canceled']);
  });

  it('has no forge for plain git repositories and refuses providers it does not know', () => {
    expect(forgeFor('git')).toBeNull();
    expect(() => forgeFor('gitea')).toThrow(new UnknownProviderError('gitea'));
    expect(() => forgeFor('gitea')).toThrow('unknown provider "gitea"; use github or gitlab');
  });
});
