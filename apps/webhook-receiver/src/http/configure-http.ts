import { bodyParserErrors, HttpErrorFilter } from '@kiln/errors';
import { NestExpressApplication } from '@nestjs/platform-express';
import { WebhookConfig } from '../config';
import { deliveryRateLimit } from './delivery-rate-limit';
import { deliveryTimingMiddleware } from './delivery-timing.middleware';
import { secretHeadersMiddleware } from './secret-headers.middleware';

/**
 * The HTTP pipeline in front of the routes, in order: delivery timing; secret headers moved out
 * of the request logger's sight; the per-address delivery limit (before any body is read); JSON
 * and form-encoded body parsers (keeping the raw bytes for
 * signatures, within KILN_WEBHOOK_BODY_LIMIT); the JSON answer for bodies they refuse.
 * The app must be created with `rawBody: true`.
 */
export function configureHttp(app: NestExpressApplication, config: WebhookConfig): void {
  const trustProxy = parseTrustProxy(config.KILN_WEBHOOK_TRUST_PROXY);
  if (trustProxy !== false) app.set('trust proxy', trustProxy);
  // Nobody revalidates the answer to a POST: Express would hash every answer body for nothing.
  app.set('etag', false);
  const limit = config.KILN_WEBHOOK_BODY_LIMIT;
  app.use(deliveryTimingMiddleware);
  app.use(secretHeadersMiddleware);
  app.use(deliveryRateLimit(config));
  app.useBodyParser('json', { limit });
  // GitHub's form content type sends the JSON as one `payload=` field; no nested objects needed.
  app.useBodyParser('urlencoded', { limit, extended: false });
  app.use(bodyParserErrors(limit, 'KILN_WEBHOOK_BODY_LIMIT'));
}

/** The receiver's error filter: the error body on delivery routes; health and metrics keep Nest's answer. */
export function webhookErrorFilter(): HttpErrorFilter {
  return new HttpErrorFilter({ routes: /^\/(webhooks|pipelines)\// });
}

function parseTrustProxy(value: string): boolean | number | string {
  const text = value.trim();
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return /^\d+$/.test(text) ? Number(text) : text;
}
