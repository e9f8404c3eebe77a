import { Counter, register } from 'prom-client';

/** One counter per name on the default registry, shared by every MessagingModule in the process (tests make several). */
function counter(name: string, help: string, labelNames: string[]): Counter {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames });
}

export const messagingMetrics = {
  published: counter('kiln_messaging_published_total', 'Messages published to JetStream', ['subject']),
  handled: counter('kiln_messaging_handled_total', 'Messages a consumer handled and acked', [
    'subject',
    'consumer',
  ]),
  failed: counter('kiln_messaging_failed_total', 'Handler failures sent back for redelivery', [
    'subject',
    'consumer',
  ]),
  deadLettered: counter('kiln_messaging_dead_lettered_total', 'Messages moved to the dead-letter stream', [
    'subject',
    'consumer',
    'reason',
  ]),
};
