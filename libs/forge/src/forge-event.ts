import { IncomingHttpHeaders } from 'node:http';
import { JsonObject } from './payload-fields';

/** What a code event is about: a branch push, a tag push, or a merge (pull) request. */
export type ForgeEventKind = 'push' | 'tag' | 'merge_request';

/** The repository a delivery is about, as the provider reports it. */
export interface ForgeRepository {
  /** `owner/name` (GitHub) or `group/sub/name` (GitLab). */
  fullName: string;
  /** Every URL the provider reports for the repository (https, ssh, git, web), as given. */
  cloneUrls: string[];
}

/**
 * One provider-neutral code event, read by a forge from a verified delivery. Trigger filters and
 * run requests are derived from it, so neither needs to know a provider's payload shape.
 */
export interface ForgeEvent {
  /** The forge that read it (`Forge.name`). */
  provider: string;
  kind: ForgeEventKind;
  repository: ForgeRepository;
  /** Full ref: `refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/7/head`, `refs/merge-requests/7/head`. */
  ref: string;
  /** Pushed branch, or the source branch of a merge request. */
  branch?: string;
  tag?: string;
  /** Commit to build: the pushed head, or the merge request's last commit. */
  commitSha: string;
  /** Canonical merge request action (`opened`, `synchronized`, `reopened`, `closed`, `merged`). */
  action?: string;
  /**
   * A merge request whose source branch lives in another repository (a fork) than the one it
   * targets: anyone can open one, so its runs get no secrets unless the project opts in.
   */
  fromFork?: boolean;
  /** Login of whoever pushed or acted on the merge request. */
  sender: string;
  /** The built commit's message and author's name, when the payload carries them. */
  commitMessage?: string;
  commitAuthor?: string;
  /** The merge (pull) request's web page, for a merge request event. */
  pullRequestUrl?: string;
  /** The provider's delivery id, or the sha256 of the body when it sent none. */
  deliveryId: string;
}

/**
 * What a verified delivery means: a code event that may start runs, or something to ignore.
 * `record` says whether an ignored delivery is stored: code events that filters or deletions
 * turned away are (a replay then gets the same answer); pings and unrelated events are not.
 */
export type Classification =
  | { kind: 'event'; event: ForgeEvent }
  | { kind: 'ignored'; reason: string; record: boolean };

/** A delivery as received: its headers, the exact body text and the JSON object inside it. */
export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** The body bytes decoded as UTF-8 (strictly, so it re-encodes to exactly what was signed). */
  rawBody: string;
  payload: JsonObject;
}

/** A signed delivery whose payload lacks a field its event cannot be understood without. */
export class MalformedPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPayloadError';
  }
}
