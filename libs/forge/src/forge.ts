import { IncomingHttpHeaders } from 'node:http';
import { Classification, ForgeRepository, ReceivedDelivery } from './forge-event';
import { JsonObject } from './payload-fields';

/** A run's state as a commit status; each forge spells it in its own API's words. */
export type CommitState = 'pending' | 'success' | 'failure' | 'cancelled';

export interface CommitStatus {
  state: CommitState;
  /** Link to the run. */
  targetUrl: string;
  description: string;
  /** Names the status among others on the commit (`kiln/<pipeline>`). */
  context: string;
}

/** An HTTP request to a forge's API: the caller sends it (through the SSRF guard) as JSON. */
export interface ForgeRequest {
  url: string;
  headers: Record<string, string>;
  body: object;
}

/**
 * What Kiln asks of a code forge (GitHub, GitLab): one implementation a folder, registered by the
 * project's provider name in `forges.ts`. Deliveries come in (verify, then classify), commit
 * statuses go out. Every member is synchronous and pure except `verify`, and none keeps state:
 * the webhook receiver calls them once per delivery on its hot path.
 */
export interface Forge<Name extends string = string> {
  readonly name: Name;
  /** The header that authenticates a delivery, as the provider's settings page names it. */
  readonly signatureHeader: string;
  /** The header naming a delivery's event type; a delivery without one is malformed. */
  readonly eventHeader: string;
  /** The event type of a delivery, when it names one. */
  eventName(headers: IncomingHttpHeaders): string | undefined;
  /** The provider's delivery id header, when it sent one. */
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  /** The repository the delivery is about, to find its project before anything is trusted. */
  repository(payload: JsonObject): ForgeRepository | undefined;
  /** Whether the delivery carries a valid signature or token for `secret`. */
  verify(secret: string, delivery: ReceivedDelivery): Promise<boolean>;
  /** Maps a verified delivery onto a neutral event; throws MalformedPayloadError for broken payloads. */
  classify(eventName: string, payload: JsonObject, deliveryId: string): Classification;
  /** The request that sets `status` on `sha` of `repoFullName`, for the API at `apiUrl`. */
  commitStatusRequest(apiUrl: string, repoFullName: string, sha: string, token: string, status: CommitStatus): ForgeRequest;
}
