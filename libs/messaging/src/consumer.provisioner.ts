import { Logger } from '@nestjs/common';
import { AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, ReplayPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { ConsumerSettings } from './consumer-settings';
import { MessagingConnection } from './messaging.connection';

const logger = new Logger('ConsumerProvisioner');

/**
 * Creates the durable pull consumer, or updates its limits when they changed. Safe when
 * several replicas start together: creating an identical durable twice answers the same one.
 *
 * `max_deliver` is one more than the handler's `maxDeliver`: a last delivery that was never
 * answered (the process died, ack wait ran out) then comes back once more and is
 * dead-lettered instead of silently staying un-acked forever.
 */
export async function ensureConsumer(
  connection: MessagingConnection,
  settings: ConsumerSettings,
): Promise<ConsumerInfo> {
  const { jsm, names } = connection;
  const stream = names.stream(settings.stream);
  const wanted: Partial<ConsumerConfig> = {
    durable_name: names.durable(settings.durable),
    filter_subject: names.subject(settings.filter),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: settings.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    max_deliver: settings.maxDeliver + 1,
    ack_wait: nanos(settings.ackWaitMs),
  };
  const existing = await info(connection, stream, wanted.durable_name as string);
  if (!existing) return jsm.consumers.add(stream, wanted);

  const { config } = existing;
  if (config.filter_subject !== wanted.filter_subject || config.ack_policy !== wanted.ack_policy) {
    throw new Error(
      `consumer ${wanted.durable_name} on ${stream} filters ${config.filter_subject} with ack ${config.ack_policy}; ` +
        `the code wants ${wanted.filter_subject} with ack ${wanted.ack_policy}: delete it or choose another durable`,
    );
  }
  if (config.max_deliver === wanted.max_deliver && config.ack_wait === wanted.ack_wait) return existing;
  const updated = await jsm.consumers.update(stream, wanted.durable_name as string, {
    max_deliver: wanted.max_deliver,
    ack_wait: wanted.ack_wait,
  });
  logger.log({ stream, durable: wanted.durable_name }, 'updated consumer limits');
  return updated;
}

async function info(
  connection: MessagingConnection,
  stream: string,
  durable: string,
): Promise<ConsumerInfo | null> {
  try {
    return await connection.jsm.consumers.info(stream, durable);
  } catch (err) {
    if (err instanceof Error && err.name === 'ConsumerNotFoundError') return null;
    throw err;
  }
}
