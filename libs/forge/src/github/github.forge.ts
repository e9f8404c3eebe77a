import { normalizeMergeRequestAction } from '@kiln/definition';
import { emitterEventNames, EmitterWebhookEvent, EmitterWebhookEventName, Webhooks } from '@octokit/webhooks';
import { CommitState, Forge } from '../forge';
import { Classification, ForgeRepository } from '../forge-event';
import {
  describeRef,
  headerOf,
  isZeroSha,
  JsonObject,
  numberAt,
  objectAt,
  refTarget,
  requiredField,
  stringAt,
} from '../payload-fields';

type PushPayload = EmitterWebhookEvent<'push'>['payload'];
type PullRequestPayload = EmitterWebhookEvent<'pull_request'>['payload'];

/** Event names GitHub documents (without the `.action` variants @octokit/webhooks also lists). */
const GITHUB_EVENTS = new Set<string>(emitterEventNames.filter((name) => !name.includes('.')));
const PUSH: EmitterWebhookEventName = 'push';
const PULL_REQUEST: EmitterWebhookEventName = 'pull_request';

// GitHub has no cancelled state; "error" closes the status without calling the build failed.
const STATE: Record<CommitState, string> = { pending: 'pending', success: 'success', failure: 'failure', cancelled: 'error' };

/** GitHub: `X-Hub-Signature-256` verified by @octokit/webhooks, push and pull_request mapped, statuses set. */
export const githubForge: Forge<'github'> = {
  name: 'github',
  signatureHeader: 'X-Hub-Signature-256',
  eventHeader: 'X-GitHub-Event',

  eventName: (headers) => headerOf(headers, 'x-github-event'),
  deliveryId: (headers) => headerOf(headers, 'x-github-delivery'),
  repository,

  async verify(secret, delivery) {
    const signature = headerOf(delivery.headers, 'x-hub-signature-256');
    if (!signature || !secret) return false;
    return new Webhooks({ secret }).verify(delivery.rawBody, signature);
  },

  classify(eventName, payload, deliveryId) {
    if (eventName === PUSH) return push(payload, deliveryId);
    if (eventName === PULL_REQUEST) return pullRequest(payload, deliveryId);
    if (eventName === 'ping') {
      return { kind: 'ignored', reason: 'ping: the webhook reaches Kiln; pings start no runs', record: false };
    }
    const reason = GITHUB_EVENTS.has(eventName)
      ? `GitHub event "${eventName}" starts no runs (only push and pull_request do)`
      : `unknown GitHub event "${eventName}"`;
    return { kind: 'ignored', reason, record: false };
  },

  commitStatusRequest: (apiUrl, repoFullName, sha, token, status) => ({
    url: `${apiUrl}/repos/${repoFullName}/statuses/${sha}`,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
    body: { state: STATE[status.state], target_url: status.targetUrl, description: status.description, context: status.context },
  }),
};

function repository(payload: JsonObject): ForgeRepository | undefined {
  const repo = objectAt(payload, 'repository');
  const fullName = stringAt(repo, 'full_name');
  if (!fullName) return undefined;
  const urls = ['clone_url', 'ssh_url', 'git_url', 'html_url', 'svn_url'].map((key) => stringAt(repo, key));
  return { fullName, cloneUrls: urls.filter((url): url is string => url !== undefined) };
}

function push(payload: JsonObject, deliveryId: string): Classification {
  const ref = requiredField<PushPayload['ref']>(stringAt(payload, 'ref'), 'push', 'ref');
  const after = stringAt(payload, 'after') satisfies PushPayload['after'] | undefined;
  const target = refTarget(ref);
  if (payload.deleted === true || isZeroSha(after)) {
    return { kind: 'ignored', reason: `${describeRef(ref)} was deleted; deletions start no runs`, record: true };
  }
  if (!target) return { kind: 'ignored', reason: `push to ${ref}, which is neither a branch nor a tag`, record: true };
  return {
    kind: 'event',
    event: {
      provider: 'github',
      kind: 'tag' in target ? 'tag' : 'push',
      repository: requiredField(repository(payload), 'push', 'repository.full_name'),
      ref,
      ...target,
      commitSha: after!,
      sender: stringAt(payload, 'sender', 'login') ?? stringAt(payload, 'pusher', 'name') ?? 'github',
      commitMessage: stringAt(payload, 'head_commit', 'message'),
      commitAuthor: stringAt(payload, 'head_commit', 'author', 'name'),
      deliveryId,
    },
  };
}

function pullRequest(payload: JsonObject, deliveryId: string): Classification {
  const action = requiredField(stringAt(payload, 'action'), 'pull_request', 'action');
  const pr = objectAt(payload, 'pull_request');
  // GitHub reports a merge as `closed` with `merged: true`.
  const canonical = action === 'closed' && pr?.merged === true ? 'merged' : normalizeMergeRequestAction(action);
  if (!canonical) {
    return { kind: 'ignored', reason: `pull_request action "${action}" starts no runs`, record: false };
  }
  const number = requiredField<PullRequestPayload['number']>(
    numberAt(payload, 'number') ?? numberAt(pr, 'number'),
    'pull_request',
    'number',
  );
  return {
    kind: 'event',
    event: {
      provider: 'github',
      kind: 'merge_request',
      repository: requiredField(repository(payload), 'pull_request', 'repository.full_name'),
      // The pull ref exists in the base repository even when the branch lives in a fork.
      ref: `refs/pull/${number}/head`,
      branch: requiredField(stringAt(pr, 'head', 'ref'), 'pull_request', 'pull_request.head.ref'),
      commitSha: requiredField(stringAt(pr, 'head', 'sha'), 'pull_request', 'pull_request.head.sha'),
      action: canonical,
      fromFork: fromFork(pr),
      sender: stringAt(payload, 'sender', 'login') ?? 'github',
      // GitHub's pull_request payload names no commit message or author, only the head sha: the
      // title and opener are what GitHub itself shows for it, and cost no git read.
      commitMessage: stringAt(pr, 'title'),
      commitAuthor: stringAt(pr, 'user', 'login'),
      pullRequestUrl: stringAt(pr, 'html_url'),
      deliveryId,
    },
  };
}

/** The head repository differs from the base (or is gone, as when the fork was deleted). */
function fromFork(pr: JsonObject | undefined): boolean {
  const head = stringAt(pr, 'head', 'repo', 'full_name');
  return head === undefined || head !== stringAt(pr, 'base', 'repo', 'full_name');
}
