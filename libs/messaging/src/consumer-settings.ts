import { EventSubject } from '@kiln/contracts';
import { EventConsumerOptions } from './event-consumer.decorator';
import { routeOf } from './subject-names';

export const DEFAULT_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** A consumer's options with every default filled in, plus where it reads from. */
export interface ConsumerSettings {
  subject: EventSubject;
  durable: string;
  maxDeliver: number;
  ackWaitMs: number;
  backoffMs: number[];
  concurrency: number;
  deliverNew: boolean;
  /** Unprefixed stream name and filter subject (`kiln.logs.>` for `kiln.logs`). */
  stream: string;
  filter: string;
}

export function consumerSettings(options: EventConsumerOptions): ConsumerSettings {
  const route = routeOf(options.subject);
  const settings: ConsumerSettings = {
    subject: options.subject,
    durable: options.durable,
    maxDeliver: options.maxDeliver ?? 10,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    backoffMs: options.backoffMs?.length ? options.backoffMs : DEFAULT_BACKOFF_MS,
    concurrency: options.concurrency ?? 1,
    deliverNew: options.deliverNew ?? false,
    stream: route.stream.name,
    filter: route.filter,
  };
  if (!/^[A-Za-z0-9_-]+$/.test(settings.durable))
    throw new Error(`invalid durable name "${settings.durable}"`);
  if (!(settings.maxDeliver >= 1)) throw new Error(`${settings.durable}: maxDeliver must be at least 1`);
  if (!(settings.concurrency >= 1)) throw new Error(`${settings.durable}: concurrency must be at least 1`);
  if (!(settings.ackWaitMs >= 1_000)) throw new Error(`${settings.durable}: ackWaitMs must be at least 1000`);
  return settings;
}

/** Redelivery delay after the `deliveryCount`-th delivery failed; the last entry repeats. */
export function backoffFor(settings: ConsumerSettings, deliveryCount: number): number {
  const index = Math.min(Math.max(deliveryCount - 1, 0), settings.backoffMs.length - 1);
  return settings.backoffMs[index];
}
