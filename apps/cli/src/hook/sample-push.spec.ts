import { createHmac } from 'node:crypto';
import { Project } from '@kiln/api-wire';
import { repositoryName, samplePush } from './sample-push';

const SHA = 'a'.repeat(40);
const project = (provider: string, extra: Partial<Project> = {}): Project => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'shop',
  repo_url: 'https://github.com/acme/shop.git',
  repo_full_name: 'acme/shop',
  provider,
  default_branch: 'main',
  concurrency_limit: null,
  secrets_for_forks: false,
  public_badge: false,
  role: 'admin',
  created_at: '2026-12-01T00:00:00.000Z',
  last_activity_at: null,
  ...extra,
});
const input = (provider: string) => ({
  project: project(provider),
  branch: 'main',
  sha: SHA,
  secret: 'the-secret',
  sender: 'tester',
});

describe('samplePush', () => {
  it('signs a GitHub push with the HMAC-SHA256 of its exact body, naming the repository', () => {
    const delivery = samplePush(input('github'));
    const hmac = createHmac('sha256', 'the-secret').update(delivery.body).digest('hex');
    expect(delivery.headers['x-hub-signature-256']).toBe(`sha256=${hmac}`);
    expect(delivery.headers['x-github-delivery']).toBe(delivery.deliveryId);
    const body = JSON.parse(delivery.body);
    expect(body).toMatchObject({ ref: 'refs/heads/main', after: SHA, repository: { full_name: 'acme/shop' } });
  });

  it('sends a GitLab push with the token and an idempotency key', () => {
    const delivery = samplePush(input('gitlab'));
    expect(delivery.headers).toMatchObject({
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 'the-secret',
      'idempotency-key': delivery.deliveryId,
    });
    expect(JSON.parse(delivery.body)).toMatchObject({
      checkout_sha: SHA,
      project: { path_with_namespace: 'acme/shop' },
    });
  });

  it('gives every call its own delivery id and body, so none is taken for a replay', () => {
    const [first, second] = [samplePush(input('github')), samplePush(input('github'))];
    expect(first.deliveryId).not.toBe(second.deliveryId);
    expect(first.body).not.toBe(second.body);
  });
});

describe('repositoryName', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['git@gitlab.com:group/sub/app.git', 'sub/app'],
    ['/srv/git/team/tool/', 'team/tool'],
  ])('takes %s as %s when the project names none', (url, name) => {
    expect(repositoryName(project('github', { repo_url: url, repo_full_name: null }))).toBe(name);
  });
});
