import { NormalizedWebhookEvent, WebhookProvider, WebhookRepository } from '@kiln/contracts';
import { IncomingHttpHeaders } from 'node:http';
import { MalformedDeliveryError } from '../http/webhook.errors';
import { JsonObject } from './payload-fields';

/** A delivery as received: its headers, the exact body text and the JSON object inside it. */
export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** The body bytes decoded as UTF-8 (strictly, so it re-encodes to exactly what was signed). */
  rawBody: string;
  payload: JsonObject;
}

/**
 * What a verified delivery means: a code event that may start runs, or something to ignore.
 * `record` says whether an ignored delivery is stored: code events that filters or deletions
 * turned away are (a replay then gets the same answer); pings and unrelated events are not.
 */
export type Classification =
  | { kind: 'event'; event: NormalizedWebhookEvent }
  | { kind: 'ignored'; reason: string; record: boolean };

/** One provider's reading of deliveries: headers, repository, authentication and event mapping. */
export interface WebhookProviderAdapter {
  readonly name: WebhookProvider;
  /** The header that authenticates a delivery, as the provider's settings page names it. */
  readonly signatureHeader: string;
  /** The event type header; a delivery without one is malformed. */
  eventName(headers: IncomingHttpHeaders): string;
  /** The provider's delivery id header, when it sent one. */
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  /** The repository the delivery is about, to find its project before anything is trusted. */
  repository(payload: JsonObject): WebhookRepository | undefined;
  /** Whether the delivery carries a valid signature or token for `secret`. */
  verify(secret: string, delivery: ReceivedDelivery): Promise<boolean>;
  /** Maps a verified delivery onto a neutral event; throws MalformedDeliveryError for broken payloads. */
  classify(eventName: string, payload: JsonObject, deliveryId: string): Classification;
}

export function normalizedEvent(
  provider: WebhookProvider,
  fields: Omit<NormalizedWebhookEvent, 'provider'>,
): NormalizedWebhookEvent {
  return Object.assign(new NormalizedWebhookEvent(), { provider, ...fields });
}

const SHA = /^[0-9a-f]{7,64}$/i;
const FIELD_MAX = 1000;

/** Refuses an event whose values could not travel in a run request (a broken or hostile payload). */
export function assertUsableEvent(event: NormalizedWebhookEvent): void {
  if (!SHA.test(event.commitSha)) {
    throw new MalformedDeliveryError(`the commit "${event.commitSha.slice(0, 80)}" is not a hexadecimal commit sha`);
  }
  for (const [field, value] of Object.entries({ ref: event.ref, branch: event.branch, tag: event.tag })) {
    if (value !== undefined && value.length > FIELD_MAX) {
      throw new MalformedDeliveryError(`the ${field} is longer than ${FIELD_MAX} characters`);
    }
  }
}
