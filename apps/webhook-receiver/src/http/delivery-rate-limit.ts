import { errorBody } from '@kiln/errors';
import { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { WebhookConfig } from '../config';

/**
 * Deliveries per client address and window, per replica (in memory): a flood is cut off where it
 * lands, before its body is read and parsed. Only POSTs count; health and metrics never do.
 */
export function deliveryRateLimit(config: WebhookConfig): RequestHandler {
  const limit = config.KILN_WEBHOOK_RATE_LIMIT;
  const windowMs = config.KILN_WEBHOOK_RATE_WINDOW_MS;
  const message = `too many deliveries from this address; at most ${limit} per ${windowMs / 1000} s`;
  return rateLimit({
    windowMs,
    limit,
    skip: (req) => limit === 0 || req.method !== 'POST',
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody(429, message));
    },
  });
}
