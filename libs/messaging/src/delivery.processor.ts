import { Logger } from '@nestjs/common';
import { JsMsg } from '@nats-io/jetstream';
import { decodeEvent, EventMap, EventSubject, InvalidEventError, validateEvent } from '@kiln/contracts';
import { backoffFor, ConsumerSettings } from './consumer-settings';
import { publishDeadLetter } from './dead-letter.publisher';
import { EventHandler, MessageContext } from './event-consumer.decorator';
import { MessagingConnection } from './messaging.connection';
import { messagingMetrics } from './messaging.metrics';
import { PoisonMessageError } from './poison-message.error';

/**
 * Settles one delivery: resolve → ack; throw → nak with backoff; invalid payload, poison or
 * the last allowed delivery failing → dead-letter and term. An ordinary failure is never termed early.
 */
export class DeliveryProcessor {
  private readonly logger: Logger;
  private readonly labels: { subject: string; consumer: string };

  constructor(
    private readonly connection: MessagingConnection,
    private readonly settings: ConsumerSettings,
    private readonly handler: EventHandler<EventSubject>,
  ) {
    this.logger = new Logger(`Consumer ${settings.durable}`);
    this.labels = { subject: settings.subject, consumer: settings.durable };
  }

  async process(msg: JsMsg): Promise<void> {
    const subject = this.connection.names.unprefix(msg.subject);
    const { deliveryCount } = msg.info;
    if (deliveryCount > this.settings.maxDeliver) {
      // Only reachable when the last allowed delivery got no answer (crash or ack-wait timeout).
      return this.deadLetter(
        msg,
        subject,
        'max_deliver',
        `no answer after ${this.settings.maxDeliver} deliveries`,
      );
    }
    let payload: EventMap[EventSubject];
    try {
      payload = validateEvent(this.settings.subject, decodeEvent(this.settings.subject, msg.data));
    } catch (err) {
      const reason =
        err instanceof InvalidEventError ? err.message : `payload is not JSON: ${messageOf(err)}`;
      return this.deadLetter(msg, subject, 'invalid', reason);
    }
    const ctx: MessageContext = {
      subject,
      deliveryCount,
      streamSeq: msg.seq,
      msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
      working: () => this.settle(msg, () => msg.working()),
    };
    try {
      await this.handler(payload, ctx);
    } catch (err) {
      return this.onFailure(msg, subject, deliveryCount, err);
    }
    this.settle(msg, () => msg.ack());
    messagingMetrics.handled.inc(this.labels);
  }

  private async onFailure(msg: JsMsg, subject: string, deliveryCount: number, err: unknown): Promise<void> {
    if (err instanceof PoisonMessageError) return this.deadLetter(msg, subject, 'poison', err.message);
    if (err instanceof InvalidEventError) return this.deadLetter(msg, subject, 'invalid', err.message);
    if (deliveryCount >= this.settings.maxDeliver) {
      return this.deadLetter(
        msg,
        subject,
        'max_deliver',
        `failed ${deliveryCount} times, last: ${messageOf(err)}`,
      );
    }
    const delayMs = backoffFor(this.settings, deliveryCount);
    messagingMetrics.failed.inc(this.labels);
    this.logger.warn(
      { subject, seq: msg.seq, deliveryCount, delayMs, error: messageOf(err) },
      'handler failed, retrying',
    );
    this.settle(msg, () => msg.nak(delayMs));
  }

  private async deadLetter(msg: JsMsg, subject: string, kind: string, reason: string): Promise<void> {
    try {
      await publishDeadLetter(this.connection, msg, { subject, consumer: this.settings.durable, reason });
    } catch (err) {
      // Without a copy in the dead-letter stream the message must stay: retry the whole thing later.
      const delayMs = backoffFor(this.settings, msg.info.deliveryCount);
      this.logger.error({ subject, seq: msg.seq, error: messageOf(err) }, 'dead-lettering failed, retrying');
      this.settle(msg, () => msg.nak(delayMs));
      return;
    }
    this.settle(msg, () => msg.term());
    messagingMetrics.deadLettered.inc({ ...this.labels, reason: kind });
    this.logger.error(
      { subject, seq: msg.seq, deliveryCount: msg.info.deliveryCount, reason },
      'dead-lettered a message',
    );
  }

  /** Acks go out on the connection; once it is closed (shutdown), the message is simply redelivered. */
  private settle(msg: JsMsg, action: () => void): void {
    try {
      action();
    } catch (err) {
      this.logger.warn(
        { seq: msg.seq, error: messageOf(err) },
        'could not answer a delivery; it will be redelivered',
      );
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
