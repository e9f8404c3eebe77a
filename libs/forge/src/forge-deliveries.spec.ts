import { MalformedPayloadError } from './forge-event';
import { githubForge } from './github/github.forge';
import { gitlabForge } from './gitlab/gitlab.forge';

const SHA = 'a'.repeat(40);
const githubRepo = {
  full_name: 'Acme/App',
  clone_url: 'https://github.com/Acme/App.git',
  ssh_url: 'git@github.com:Acme/App.git',
};

// What each forge makes of a delivery; signatures and whole deliveries are the webhook receiver's tests.
describe('forge deliveries', () => {
  it('reads a GitHub branch push as a push event with its repository and commit', () => {
    const payload = {
      ref: 'refs/heads/main',
      after: SHA,
      repository: githubRepo,
      sender: { login: 'mona' },
      head_commit: { message: 'Fix the build', author: { name: 'Mona' } },
    };
    expect(githubForge.classify('push', payload, 'd-1')).toEqual({
      kind: 'event',
      event: {
        provider: 'github',
        kind: 'push',
        repository: { fullName: 'Acme/App', cloneUrls: [githubRepo.clone_url, githubRepo.ssh_url] },
        ref: 'refs/heads/main',
        branch: 'main',
        commitSha: SHA,
        sender: 'mona',
        commitMessage: 'Fix the build',
        commitAuthor: 'Mona',
        deliveryId: 'd-1',
      },
    });
  });

  it('ignores GitHub pings and deletions, storing only the deletion', () => {
    expect(githubForge.classify('ping', {}, 'd-2')).toMatchObject({ kind: 'ignored', record: false });
    expect(
      githubForge.classify('push', { ref: 'refs/tags/v1', after: '0'.repeat(40), deleted: true, repository: githubRepo }, 'd-3'),
    ).toEqual({ kind: 'ignored', reason: 'tag "v1" was deleted; deletions start no runs', record: true });
    expect(githubForge.classify('star', {}, 'd-4')).toMatchObject({ reason: expect.stringContaining('starts no runs') });
  });

  it('reads a GitHub pull request from a fork as a merge request on the pull ref', () => {
    const payload = {
      action: 'synchronize',
      number: 7,
      repository: githubRepo,
      pull_request: {
        head: { ref: 'feature', sha: SHA, repo: { full_name: 'someone/App' } },
        base: { repo: { full_name: 'Acme/App' } },
      },
    };
    expect(githubForge.classify('pull_request', payload, 'd-5')).toMatchObject({
      kind: 'event',
      event: { kind: 'merge_request', ref: 'refs/pull/7/head', branch: 'feature', action: 'synchronized', fromFork: true },
    });
  });

  it('refuses a signed payload that lacks what its event needs', () => {
    expect(() => githubForge.classify('push', { after: SHA }, 'd-6')).toThrow(
      new MalformedPayloadError('the push payload has no "ref"'),
    );
    expect(() => gitlabForge.classify('Merge Request Hook', { object_attributes: {} }, 'd-7')).toThrow(MalformedPayloadError);
  });

  it('reads a GitLab tag push and a merge request update without new commits', () => {
    const project = { path_with_namespace: 'group/sub/app', git_http_url: 'https://gitlab.example/group/sub/app.git' };
    expect(
      gitlabForge.classify('Tag Push Hook', { ref: 'refs/tags/v2', after: SHA, project, user_username: 'jo' }, 'd-8'),
    ).toMatchObject({
      kind: 'event',
      event: { provider: 'gitlab', kind: 'tag', tag: 'v2', sender: 'jo', repository: { fullName: 'group/sub/app' } },
    });
    const update = { object_attributes: { action: 'update', iid: 3 }, project };
    expect(gitlabForge.classify('Merge Request Hook', update, 'd-9')).toEqual({
      kind: 'ignored',
      reason: 'merge request !3 was updated without new commits',
      record: false,
    });
  });

  it('reads event names, delivery ids and GitLab tokens from headers', async () => {
    expect(githubForge.eventName({ 'x-github-event': ' push ' })).toBe('push');
    expect(githubForge.eventName({})).toBeUndefined();
    expect(gitlabForge.deliveryId({ 'x-gitlab-event-uuid': 'u-1', 'idempotency-key': 'k-1' })).toBe('k-1');
    const delivery = (token?: string) => ({ headers: token ? { 'x-gitlab-token': token } : {}, rawBody: '{}', payload: {} });
    expect(await gitlabForge.verify('s3cret', delivery('s3cret'))).toBe(true);
    expect(await gitlabForge.verify('s3cret', delivery('other'))).toBe(false);
    expect(await gitlabForge.verify('s3cret', delivery())).toBe(false);
  });
});
