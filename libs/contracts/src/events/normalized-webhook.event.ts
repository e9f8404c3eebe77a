/** Providers whose webhooks Kiln understands. */
export type WebhookProvider = 'github' | 'gitlab';

/** What a code event is about: a branch push, a tag push, or a merge (pull) request. */
export type WebhookEventKind = 'push' | 'tag' | 'merge_request';

export interface WebhookRepository {
  /** `owner/name` (GitHub) or `group/sub/name` (GitLab). */
  fullName: string;
  /** Every URL the provider reports for the repository (https, ssh, git, web), as given. */
  cloneUrls: string[];
}

/**
 * One provider-neutral code event, built by the webhook receiver from a verified GitHub or
 * GitLab delivery. It is what trigger filters and run requests are derived from, so neither
 * needs to know a provider's payload shape.
 */
export class NormalizedWebhookEvent {
  provider!: WebhookProvider;
  kind!: WebhookEventKind;
  repository!: WebhookRepository;
  /** Full ref: `refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/7/head`, `refs/merge-requests/7/head`. */
  ref!: string;
  /** Pushed branch, or the source branch of a merge request. */
  branch?: string;
  tag?: string;
  /** Commit to build: the pushed head, or the merge request's last commit. */
  commitSha!: string;
  /** Canonical merge request action (`opened`, `synchronized`, `reopened`, `closed`, `merged`). */
  action?: string;
  /**
   * A merge request whose source branch lives in another repository (a fork) than the one it
   * targets: anyone can open one, so its runs get no secrets unless the project opts in.
   */
  fromFork?: boolean;
  /** Login of whoever pushed or acted on the merge request. */
  sender!: string;
  /** The built commit's message and author's name, when the payload carries them. */
  commitMessage?: string;
  commitAuthor?: string;
  /** The merge (pull) request's web page, for a merge request event. */
  pullRequestUrl?: string;
  /** The provider's delivery id, or the sha256 of the body when it sent none. */
  deliveryId!: string;
}
