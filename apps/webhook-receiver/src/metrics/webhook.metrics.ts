import { Counter, Histogram, register } from 'prom-client';

/** How a delivery ended; the label of `kiln_webhook_deliveries_total`. */
export type DeliveryOutcome =
  | 'accepted'
  | 'ignored'
  | 'replayed'
  | 'rejected_signature'
  | 'malformed'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'error';

export const PROVIDER_LABELS = ['github', 'gitlab'] as const;

export interface WebhookMetrics {
  deliveries: Counter<'provider' | 'outcome'>;
  duration: Histogram<'provider' | 'outcome'>;
  routing: Counter<'source'>;
}

let metrics: WebhookMetrics | undefined;

/**
 * The receiver's metrics on prom-client's default registry (served at `/metrics`). Created once
 * per process: several apps in one test process share the registry.
 */
export function webhookMetrics(): WebhookMetrics {
  metrics ??= {
    deliveries:
      existing<Counter<'provider' | 'outcome'>>('kiln_webhook_deliveries_total') ??
      new Counter({
        name: 'kiln_webhook_deliveries_total',
        help: 'Webhook deliveries by provider and outcome',
        labelNames: ['provider', 'outcome'],
      }),
    duration:
      existing<Histogram<'provider' | 'outcome'>>('kiln_webhook_request_duration_seconds') ??
      new Histogram({
        name: 'kiln_webhook_request_duration_seconds',
        help: 'Time from the first byte of a delivery to its answer',
        labelNames: ['provider', 'outcome'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      }),
    routing:
      existing<Counter<'source'>>('kiln_webhook_routing_lookups_total') ??
      new Counter({
        name: 'kiln_webhook_routing_lookups_total',
        help: 'Project routing lookups: source "cache" (memory), "database", or "stale" (a cached routing the claim found out of date)',
        labelNames: ['source'],
      }),
  };
  return metrics;
}

function existing<T>(name: string): T | undefined {
  return register.getSingleMetric(name) as T | undefined;
}

/** Outcome of an answer the delivery code did not label itself (errors raised before or around it). */
export function outcomeOfStatus(status: number): DeliveryOutcome {
  if (status === 401) return 'rejected_signature';
  if (status === 400 || status === 413 || status === 415) return 'malformed';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status < 300 ? 'accepted' : 'error';
}
