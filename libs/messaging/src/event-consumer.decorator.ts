import { EventMap, EventSubject } from '@kiln/contracts';

export interface EventConsumerOptions<S extends EventSubject = EventSubject> {
  subject: S;
  /** Durable consumer name, shared by every replica of the app (they split the messages). */
  durable: string;
  /** Deliveries before a failing message is dead-lettered (default 10). */
  maxDeliver?: number;
  /** How long a delivery may stay un-acked before JetStream redelivers it (default 30 s). */
  ackWaitMs?: number;
  /** Redelivery delay after the n-th failed delivery; the last entry repeats (default 1s, 2s, 5s, 10s, 30s). */
  backoffMs?: number[];
  /** Handlers in flight at once in this instance (default 1, which keeps the stream's order). */
  concurrency?: number;
  /** A new durable starts with messages published from now on instead of the whole stream. */
  deliverNew?: boolean;
}

export interface MessageContext {
  /** The unprefixed subject, suffix tokens included (`kiln.logs.<runId>.<stepId>`). */
  subject: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  streamSeq: number;
  /** The publisher's `Nats-Msg-Id`. */
  msgId?: string;
  /** Resets the ack-wait timer: call it now and then from handlers that run longer than `ackWaitMs`. */
  working(): void;
}

export type EventHandler<S extends EventSubject> = (
  payload: EventMap[S],
  ctx: MessageContext,
) => Promise<void> | void;

export const EVENT_CONSUMER_METADATA = 'kiln:event-consumer';

/**
 * Makes a provider method a durable JetStream consumer: it resolves → ack; it throws →
 * redelivery after a backoff; an invalid payload, a `PoisonMessageError` or the last allowed
 * delivery failing → the message goes to `kiln.dead.<subject>`.
 */
export function EventConsumer<S extends EventSubject>(options: EventConsumerOptions<S>) {
  return <H extends EventHandler<S>>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<H>,
  ): void => {
    if (descriptor.value) Reflect.defineMetadata(EVENT_CONSUMER_METADATA, options, descriptor.value);
  };
}
