import {
  Classification,
  Forge,
  ForgeEvent,
  forgeFor,
  ForgeName,
  MalformedPayloadError,
  ReceivedDelivery,
  UnknownProviderError,
} from '@kiln/forge';
import { InvalidInputError, NotFoundError } from '@kiln/errors';

/** The forge a route names (`/webhooks/:provider`); 404 for plain git and names no forge has. */
export function forgeOfRoute(provider: string): Forge<ForgeName> {
  let forge: Forge<ForgeName> | null;
  try {
    forge = forgeFor(provider);
  } catch (error) {
    if (error instanceof UnknownProviderError) throw new NotFoundError(error.message);
    throw error;
  }
  // Plain git repositories send no webhooks.
  if (!forge) throw new NotFoundError(new UnknownProviderError(provider).message);
  return forge;
}

/** The delivery's event type; a delivery without one is malformed. */
export function eventNameOf(forge: Forge, delivery: ReceivedDelivery): string {
  const name = forge.eventName(delivery.headers);
  if (!name) throw new InvalidInputError(`the ${forge.eventHeader} header is missing`);
  return name;
}

/** The forge's reading of a verified delivery; a signed payload can still be broken (400). */
export function classifyDelivery(
  forge: Forge,
  eventName: string,
  delivery: ReceivedDelivery,
  deliveryId: string,
): Classification {
  try {
    return forge.classify(eventName, delivery.payload, deliveryId);
  } catch (error) {
    if (error instanceof MalformedPayloadError) throw new InvalidInputError(error.message);
    throw error;
  }
}

const SHA = /^[0-9a-f]{7,64}$/i;
const FIELD_MAX = 1000;

/** Refuses an event whose values could not travel in a run request (a broken or hostile payload). */
export function assertUsableEvent(event: ForgeEvent): void {
  if (!SHA.test(event.commitSha)) {
    throw new InvalidInputError(`the commit "${event.commitSha.slice(0, 80)}" is not a hexadecimal commit sha`);
  }
  for (const [field, value] of Object.entries({ ref: event.ref, branch: event.branch, tag: event.tag })) {
    if (value !== undefined && value.length > FIELD_MAX) {
      throw new InvalidInputError(`the ${field} is longer than ${FIELD_MAX} characters`);
    }
  }
}
