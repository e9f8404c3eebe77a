import { WebhookRepository } from '@kiln/contracts';
import { normalizeMergeRequestAction } from '@kiln/definition';
import { Injectable } from '@nestjs/common';
import { emitterEventNames, EmitterWebhookEvent, EmitterWebhookEventName, Webhooks } from '@octokit/webhooks';
import { IncomingHttpHeaders } from 'node:http';
import { MalformedDeliveryError } from '../http/webhook.errors';
import { describeRef, headerOf, isZeroSha, JsonObject, numberAt, objectAt, refTarget, requiredField, stringAt } from './payload-fields';
import { Classification, normalizedEvent, ReceivedDelivery, WebhookProviderAdapter } from './webhook-provider';

type PushPayload = EmitterWebhookEvent<'push'>['payload'];
type PullRequestPayload = EmitterWebhookEvent<'pull_request'>['payload'];

/** Event names GitHub documents (without the `.action` variants @octokit/webhooks also lists). */
const GITHUB_EVENTS = new Set<string>(emitterEventNames.filter((name) => !name.includes('.')));
const PUSH: EmitterWebhookEventName = 'push';
const PULL_REQUEST: EmitterWebhookEventName = 'pull_request';

/** GitHub deliveries: `X-Hub-Signature-256` verified by @octokit/webhooks, push and pull_request mapped. */
@Injectable()
export class GithubProvider implements WebhookProviderAdapter {
  readonly signatureHeader = 'X-Hub-Signature-256';
  readonly name = 'github' as const;

  eventName(headers: IncomingHttpHeaders): string {
    const name = headerOf(headers, 'x-github-event');
    if (!name) throw new MalformedDeliveryError('the X-GitHub-Event header is missing');
    return name;
  }

  deliveryId(headers: IncomingHttpHeaders): string | undefined {
    return headerOf(headers, 'x-github-delivery');
  }

  repository(payload: JsonObject): WebhookRepository | undefined {
    const repo = objectAt(payload, 'repository');
    const fullName = stringAt(repo, 'full_name');
    if (!fullName) return undefined;
    const urls = ['clone_url', 'ssh_url', 'git_url', 'html_url', 'svn_url'].map((key) => stringAt(repo, key));
    return { fullName, cloneUrls: urls.filter((url): url is string => url !== undefined) };
  }

  async verify(secret: string, delivery: ReceivedDelivery): Promise<boolean> {
    const signature = headerOf(delivery.headers, 'x-hub-signature-256');
    if (!signature || !secret) return false;
    return new Webhooks({ secret }).verify(delivery.rawBody, signature);
  }

  classify(eventName: string, payload: JsonObject, deliveryId: string): Classification {
    if (eventName === PUSH) return this.push(payload, deliveryId);
    if (eventName === PULL_REQUEST) return this.pullRequest(payload, deliveryId);
    if (eventName === 'ping') {
      return { kind: 'ignored', reason: 'ping: the webhook reaches Kiln; pings start no runs', record: false };
    }
    const reason = GITHUB_EVENTS.has(eventName)
      ? `GitHub event "${eventName}" starts no runs (only push and pull_request do)`
      : `unknown GitHub event "${eventName}"`;
    return { kind: 'ignored', reason, record: false };
  }

  private push(payload: JsonObject, deliveryId: string): Classification {
    const ref = requiredField<PushPayload['ref']>(stringAt(payload, 'ref'), 'push', 'ref');
    const after = stringAt(payload, 'after') satisfies PushPayload['after'] | undefined;
    const target = refTarget(ref);
    if (payload.deleted === true || isZeroSha(after)) {
      return { kind: 'ignored', reason: `${describeRef(ref)} was deleted; deletions start no runs`, record: true };
    }
    if (!target) return { kind: 'ignored', reason: `push to ${ref}, which is neither a branch nor a tag`, record: true };
    const sender = stringAt(payload, 'sender', 'login') ?? stringAt(payload, 'pusher', 'name') ?? 'github';
    return {
      kind: 'event',
      event: normalizedEvent('github', {
        kind: 'tag' in target ? 'tag' : 'push',
        repository: requiredField(this.repository(payload), 'push', 'repository.full_name'),
        ref,
        ...target,
        commitSha: after!,
        sender,
        commitMessage: stringAt(payload, 'head_commit', 'message'),
        commitAuthor: stringAt(payload, 'head_commit', 'author', 'name'),
        deliveryId,
      }),
    };
  }

  private pullRequest(payload: JsonObject, deliveryId: string): Classification {
    const action = requiredField(stringAt(payload, 'action'), 'pull_request', 'action');
    const pr = objectAt(payload, 'pull_request');
    // GitHub reports a merge as `closed` with `merged: true`.
    const canonical = action === 'closed' && pr?.merged === true ? 'merged' : normalizeMergeRequestAction(action);
    if (!canonical) {
      return { kind: 'ignored', reason: `pull_request action "${action}" starts no runs`, record: false };
    }
    const number = requiredField<PullRequestPayload['number']>(numberAt(payload, 'number') ?? numberAt(pr, 'number'), 'pull_request', 'number');
    return {
      kind: 'event',
      event: normalizedEvent('github', {
        kind: 'merge_request',
        repository: requiredField(this.repository(payload), 'pull_request', 'repository.full_name'),
        // The pull ref exists in the base repository even when the branch lives in a fork.
        ref: `refs/pull/${number}/head`,
        branch: requiredField(stringAt(pr, 'head', 'ref'), 'pull_request', 'pull_request.head.ref'),
        commitSha: requiredField(stringAt(pr, 'head', 'sha'), 'pull_request', 'pull_request.head.sha'),
        action: canonical,
        fromFork: fromFork(pr),
        sender: stringAt(payload, 'sender', 'login') ?? 'github',
        pullRequestUrl: stringAt(pr, 'html_url'),
        deliveryId,
      }),
    };
  }
}

/** The head repository differs from the base (or is gone, as when the fork was deleted). */
function fromFork(pr: JsonObject | undefined): boolean {
  const head = stringAt(pr, 'head', 'repo', 'full_name');
  return head === undefined || head !== stringAt(pr, 'base', 'repo', 'full_name');
}
