import { NextFunction, Request, Response } from 'express';
import {
  DeliveryOutcome,
  outcomeOfStatus,
  PROVIDER_LABELS,
  webhookMetrics,
} from '../metrics/webhook.metrics';

const WEBHOOK_PATH = /^\/(?:webhooks\/([^/?]+)|pipelines\/[^/]+\/webhook\/([^/?]+))\/?(?:\?|$)/;

/** Lets the delivery code name its outcome; answers it did not label are classified by status. */
export function setDeliveryOutcome(res: Response, outcome: DeliveryOutcome): void {
  res.locals.deliveryOutcome = outcome;
}

/**
 * Counts every webhook request and times it from its first byte (body parsing included) to the
 * end of the answer. Registered before the body parsers, so oversized or broken bodies are counted.
 */
export function deliveryTimingMiddleware(req: Request, res: Response, next: NextFunction): void {
  const match = WEBHOOK_PATH.exec(req.url);
  if (!match) return next();
  const name = match[1] ?? match[2];
  const provider = (PROVIDER_LABELS as readonly string[]).includes(name) ? name : 'unknown';
  const stop = webhookMetrics().duration.startTimer({ provider });
  res.once('finish', () => {
    const outcome =
      (res.locals.deliveryOutcome as DeliveryOutcome | undefined) ?? outcomeOfStatus(res.statusCode);
    stop({ outcome });
    webhookMetrics().deliveries.inc({ provider, outcome });
  });
  next();
}
