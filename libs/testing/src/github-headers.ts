import { hmacSha256Hex } from '@kiln/crypto';
import { randomUUID } from 'node:crypto';

/** GitHub's headers for a body signed with `secret` (`X-Hub-Signature-256: sha256=<hmac>`); `null` leaves the delivery id out. */
export function githubHeaders(event: string, body: string, secret: string, deliveryId: string | null = randomUUID()) {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    ...(deliveryId === null ? {} : { 'x-github-delivery': deliveryId }),
    'x-hub-signature-256': `sha256=${hmacSha256Hex(secret, body)}`,
  };
}
