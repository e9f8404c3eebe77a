import { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { DEAD_LETTER_PREFIX } from '@kiln/contracts';
import { MessagingConnection } from './messaging.connection';

/** Headers a dead-lettered message carries next to its original bytes. */
export const DeadLetterHeaders = {
  Reason: 'Kiln-Dead-Reason',
  Subject: 'Kiln-Dead-Subject',
  Consumer: 'Kiln-Dead-Consumer',
  Stream: 'Kiln-Dead-Stream',
  StreamSeq: 'Kiln-Dead-Stream-Seq',
  Deliveries: 'Kiln-Dead-Deliveries',
  MsgId: 'Kiln-Dead-Msg-Id',
} as const;

/**
 * Copies a message to `kiln.dead.<subject>` with why it was given up. The msg-id is the
 * original's stream position and consumer, so dead-lettering it twice stores it once.
 */
export async function publishDeadLetter(
  connection: MessagingConnection,
  msg: JsMsg,
  context: { subject: string; consumer: string; reason: string },
): Promise<void> {
  const h = headers();
  // Header values are single lines; a multi-line error message would corrupt the header block.
  h.set(DeadLetterHeaders.Reason, context.reason.replace(/[\r\n]+/g, ' ').slice(0, 1_000));
  h.set(DeadLetterHeaders.Subject, context.subject);
  h.set(DeadLetterHeaders.Consumer, context.consumer);
  h.set(DeadLetterHeaders.Stream, msg.info.stream);
  h.set(DeadLetterHeaders.StreamSeq, String(msg.seq));
  h.set(DeadLetterHeaders.Deliveries, String(msg.info.deliveryCount));
  const originalId = msg.headers?.get('Nats-Msg-Id');
  if (originalId) h.set(DeadLetterHeaders.MsgId, originalId);
  await connection.js.publish(
    connection.names.subject(`${DEAD_LETTER_PREFIX}.${context.subject}`),
    msg.data,
    {
      headers: h,
      msgID: `${msg.info.stream}:${msg.seq}:${context.consumer}`,
    },
  );
}
