import { Logger } from '@nestjs/common';
import { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureConsumer } from './consumer.provisioner';
import { ConsumerSettings } from './consumer-settings';
import { DeliveryProcessor } from './delivery.processor';
import { MessagingConnection } from './messaging.connection';
import { settledWithin } from './settled-within';

/** A pull request waits this long for messages before the loop asks again. */
const FETCH_EXPIRES_MS = 5_000;
/**
 * A pull that has not ended this long after it expired is given up and a new one made. The
 * client ends pulls itself after missed heartbeats or a reconnect; this bounds the cost of any
 * path where it does not (a server restart at the wrong instant), so a consumer never stalls.
 */
const FETCH_STALL_MS = FETCH_EXPIRES_MS * 4;
const RETRY_PAUSE_MS = 1_000;

/**
 * The pull loop of one durable consumer. It fetches only as many messages as it has free
 * handler slots, so nothing sits in a client buffer while its ack wait runs out, and with
 * concurrency 1 a message is settled before the next one is fetched.
 */
export class ConsumerRunner {
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  private consumer?: Consumer;
  private batch?: ConsumerMessages;
  private stopping = false;
  private loop?: Promise<void>;
  private slotFreed?: () => void;
  private readonly stopSignal = new AbortController();

  constructor(
    private readonly connection: MessagingConnection,
    private readonly settings: ConsumerSettings,
    private readonly processor: DeliveryProcessor,
  ) {
    this.logger = new Logger(`Consumer ${settings.durable}`);
  }

  /** Creates or updates the durable, then starts pulling in the background. */
  async start(): Promise<void> {
    const info = await ensureConsumer(this.connection, this.settings);
    this.consumer = this.connection.js.consumers.getConsumerFromInfo(info);
    this.loop = this.run();
  }

  /**
   * Stops pulling, returns buffered messages at once and waits up to `timeoutMs` for handlers
   * in flight. Those still running are left un-acked: JetStream redelivers them after ack wait.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.slotFreed?.();
    await this.batch?.close();
    const inTime = await settledWithin(Promise.allSettled([...this.inFlight]), timeoutMs);
    if (!inTime) {
      this.logger.warn(
        { unfinished: this.inFlight.size },
        'handlers still running at shutdown; leaving them un-acked',
      );
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.settings.concurrency - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        await this.fetch(free);
      } catch (err) {
        if (this.stopping) break;
        this.logger.warn(
          { error: err instanceof Error ? err.message : String(err) },
          'pull failed, retrying',
        );
        await this.recover();
      }
    }
  }

  private async fetch(max: number): Promise<void> {
    const consumer = this.consumer as Consumer;
    this.batch = await consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
    // stop() may have run while the pull was being set up. Not awaited: close() completes
    // only once the loop below has drained the batch.
    if (this.stopping) void this.batch.close();
    const batch = this.batch;
    const watchdog = setTimeout(() => {
      this.logger.warn({ afterMs: FETCH_STALL_MS }, 'pull request did not end; replacing it');
      batch.stop(new Error('pull request stalled'));
    }, FETCH_STALL_MS);
    try {
      for await (const msg of batch) {
        if (this.stopping) msg.nak();
        else this.dispatch(msg);
      }
    } finally {
      clearTimeout(watchdog);
      this.batch = undefined;
    }
  }

  private dispatch(msg: JsMsg): void {
    const handling: Promise<void> = this.processor
      .process(msg)
      .catch((err: unknown) => {
        // process() settles every outcome itself; reaching here is a bug, and the message is redelivered.
        this.logger.error(
          { seq: msg.seq, error: err instanceof Error ? err.message : String(err) },
          'delivery crashed',
        );
      })
      .finally(() => {
        this.inFlight.delete(handling);
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
    this.inFlight.add(handling);
  }

  /** After a failed pull (server restart, consumer deleted): pause, then make sure the durable exists. */
  private async recover(): Promise<void> {
    await sleep(RETRY_PAUSE_MS, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
    if (this.stopping) return;
    try {
      const info = await ensureConsumer(this.connection, this.settings);
      this.consumer = this.connection.js.consumers.getConsumerFromInfo(info);
    } catch (err) {
      this.logger.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'consumer not reachable yet',
      );
    }
  }
}
