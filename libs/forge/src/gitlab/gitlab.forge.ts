import { safeEqual } from '@kiln/crypto';
import { normalizeMergeRequestAction } from '@kiln/definition';
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

const PUSH_HOOK = 'Push Hook';
const TAG_PUSH_HOOK = 'Tag Push Hook';
const MERGE_REQUEST_HOOK = 'Merge Request Hook';
const URL_FIELDS = ['git_http_url', 'git_ssh_url', 'http_url', 'ssh_url', 'url', 'web_url', 'homepage'];

const STATE: Record<CommitState, string> = { pending: 'pending', success: 'success', failure: 'failed', cancelled: 'canceled' };

/** GitLab: `X-Gitlab-Token` compared in constant time; push, tag push and merge request hooks mapped; statuses set. */
export const gitlabForge: Forge<'gitlab'> = {
  name: 'gitlab',
  signatureHeader: 'X-Gitlab-Token',
  eventHeader: 'X-Gitlab-Event',

  eventName: (headers) => headerOf(headers, 'x-gitlab-event'),
  /**
   * `Idempotency-Key` (GitLab 17.4+) is unique per hook and kept across retries; the older
   * `X-Gitlab-Event-UUID` is shared by every hook the same event fires.
   */
  deliveryId: (headers) => headerOf(headers, 'idempotency-key') ?? headerOf(headers, 'x-gitlab-event-uuid'),
  repository,

  async verify(secret, delivery) {
    const token = headerOf(delivery.headers, 'x-gitlab-token');
    return token !== undefined && secret !== '' && safeEqual(token, secret);
  },

  classify(eventName, payload, deliveryId) {
    if (eventName === PUSH_HOOK || eventName === TAG_PUSH_HOOK) return push(eventName, payload, deliveryId);
    if (eventName === MERGE_REQUEST_HOOK) return mergeRequest(payload, deliveryId);
    return {
      kind: 'ignored',
      reason: `GitLab event "${eventName}" starts no runs (only Push Hook, Tag Push Hook and Merge Request Hook do)`,
      record: false,
    };
  },

  // GitLab names a project by its URL-encoded path (`group%2Fproject`).
  commitStatusRequest: (apiUrl, repoFullName, sha, token, status) => ({
    url: `${apiUrl}/projects/${encodeURIComponent(repoFullName)}/statuses/${sha}`,
    headers: { 'private-token': token },
    body: { state: STATE[status.state], target_url: status.targetUrl, description: status.description, name: status.context },
  }),
};

function repository(payload: JsonObject): ForgeRepository | undefined {
  const project = objectAt(payload, 'project');
  const fullName = stringAt(project, 'path_with_namespace');
  if (!fullName) return undefined;
  const repo = objectAt(payload, 'repository');
  const urls = [project, repo].flatMap((source) => URL_FIELDS.map((key) => stringAt(source, key)));
  return { fullName, cloneUrls: [...new Set(urls.filter((url): url is string => url !== undefined))] };
}

function push(eventName: string, payload: JsonObject, deliveryId: string): Classification {
  const ref = requiredField(stringAt(payload, 'ref'), eventName, 'ref');
  const after = stringAt(payload, 'after');
  const target = refTarget(ref);
  if (!target) return { kind: 'ignored', reason: `push to ${ref}, which is neither a branch nor a tag`, record: true };
  if (isZeroSha(after)) {
    return { kind: 'ignored', reason: `${describeRef(ref)} was deleted; deletions start no runs`, record: true };
  }
  const commitSha = stringAt(payload, 'checkout_sha') ?? after!;
  const commits: unknown[] = Array.isArray(payload.commits) ? payload.commits : [];
  const head = commits.find((c) => stringAt(c, 'id') === commitSha);
  return {
    kind: 'event',
    event: {
      provider: 'gitlab',
      kind: 'tag' in target ? 'tag' : 'push',
      repository: requiredField(repository(payload), eventName, 'project.path_with_namespace'),
      ref,
      ...target,
      commitSha,
      sender: stringAt(payload, 'user_username') ?? stringAt(payload, 'user_name') ?? 'gitlab',
      commitMessage: stringAt(head, 'message'),
      commitAuthor: stringAt(head, 'author', 'name'),
      deliveryId,
    },
  };
}

function mergeRequest(payload: JsonObject, deliveryId: string): Classification {
  const attributes = objectAt(payload, 'object_attributes');
  const action = requiredField(stringAt(attributes, 'action'), MERGE_REQUEST_HOOK, 'object_attributes.action');
  const canonical = normalizeMergeRequestAction(action);
  if (!canonical) return { kind: 'ignored', reason: `merge request action "${action}" starts no runs`, record: false };
  const iid = requiredField(numberAt(attributes, 'iid'), MERGE_REQUEST_HOOK, 'object_attributes.iid');
  // GitLab sends `update` for title, label and description edits too; only `oldrev` means new commits.
  if (action === 'update' && stringAt(attributes, 'oldrev') === undefined) {
    return { kind: 'ignored', reason: `merge request !${iid} was updated without new commits`, record: false };
  }
  return {
    kind: 'event',
    event: {
      provider: 'gitlab',
      kind: 'merge_request',
      repository: requiredField(repository(payload), MERGE_REQUEST_HOOK, 'project.path_with_namespace'),
      // The merge request ref exists in the target project even when the branch lives in a fork.
      ref: `refs/merge-requests/${iid}/head`,
      branch: requiredField(stringAt(attributes, 'source_branch'), MERGE_REQUEST_HOOK, 'object_attributes.source_branch'),
      commitSha: requiredField(stringAt(attributes, 'last_commit', 'id'), MERGE_REQUEST_HOOK, 'object_attributes.last_commit.id'),
      action: canonical,
      fromFork: fromFork(attributes),
      sender: stringAt(payload, 'user', 'username') ?? stringAt(payload, 'user', 'name') ?? 'gitlab',
      commitMessage: stringAt(attributes, 'last_commit', 'message'),
      commitAuthor: stringAt(attributes, 'last_commit', 'author', 'name'),
      pullRequestUrl: stringAt(attributes, 'url'),
      deliveryId,
    },
  };
}

/** The source project differs from the target (or the payload does not say which it is). */
function fromFork(attributes: JsonObject | undefined): boolean {
  const source = numberAt(attributes, 'source_project_id');
  return source === undefined || source !== numberAt(attributes, 'target_project_id');
}
