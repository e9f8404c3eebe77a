import { createHmac, randomUUID } from 'node:crypto';
import { Project } from '@kiln/api-wire';

/** A signed delivery ready to POST to the webhook receiver. */
export interface SampleDelivery {
  deliveryId: string;
  headers: Record<string, string>;
  body: string;
}

export interface SamplePushInput {
  project: Project;
  branch: string;
  sha: string;
  secret: string;
  sender: string;
}

/**
 * A push of `sha` to `branch` as the project's provider sends it, signed with its webhook
 * secret. Each call has a fresh delivery id carried in the body too: the receiver answers a
 * body it has seen before as a replay.
 */
export function samplePush(input: SamplePushInput): SampleDelivery {
  const deliveryId = randomUUID();
  if (input.project.provider === 'gitlab') {
    const body = JSON.stringify(gitlabPush(input, deliveryId));
    const headers = {
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': input.secret,
      'idempotency-key': deliveryId,
    };
    return { deliveryId, body, headers: { ...headers, 'content-type': 'application/json' } };
  }
  const body = JSON.stringify(githubPush(input, deliveryId));
  const signature = createHmac('sha256', input.secret).update(body).digest('hex');
  const headers = {
    'x-github-event': 'push',
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': `sha256=${signature}`,
  };
  return { deliveryId, body, headers: { ...headers, 'content-type': 'application/json' } };
}

/** `owner/name` of the project: its `repo_full_name`, else the last two segments of its URL. */
export function repositoryName(project: Project): string {
  if (project.repo_full_name) return project.repo_full_name;
  const path = project.repo_url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/^[^/@]+@[^:]+:/, '');
  return path.replace(/\.git\/?$/, '').replace(/\/+$/, '').split('/').slice(-2).join('/');
}

function githubPush({ project, branch, sha, sender }: SamplePushInput, deliveryId: string) {
  const fullName = repositoryName(project);
  const message = `kiln hook test ${deliveryId}`;
  return {
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    repository: {
      name: fullName.split('/').pop(),
      full_name: fullName,
      clone_url: project.repo_url,
      default_branch: project.default_branch ?? branch,
    },
    pusher: { name: sender },
    sender: { login: sender },
    head_commit: { id: sha, message, timestamp: new Date().toISOString() },
    commits: [{ id: sha, message }],
  };
}

function gitlabPush({ project, branch, sha, sender }: SamplePushInput, deliveryId: string) {
  const fullName = repositoryName(project);
  const message = `kiln hook test ${deliveryId}`;
  return {
    object_kind: 'push',
    event_name: 'push',
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: sha,
    checkout_sha: sha,
    user_username: sender,
    project: {
      path_with_namespace: fullName,
      git_http_url: project.repo_url,
      default_branch: project.default_branch ?? branch,
    },
    repository: { git_http_url: project.repo_url },
    commits: [{ id: sha, message, timestamp: new Date().toISOString() }],
    total_commits_count: 1,
  };
}
