import { Inject, Injectable, Logger } from '@nestjs/common';
import { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { NatsConnection } from '@nats-io/nats-core';
import { decodeEvent, encodeEvent, EventMap, EventSubject, validateEvent } from '@kiln/contracts';
import { MessagingConnection } from './messaging.connection';
import { messagingMetrics } from './messaging.metrics';
import { ReadStreamOptions, StreamEntry, StreamReader } from './stream.reader';
import { routeOf, streamStoring, subjectMatches, withSuffix } from './subject-names';
import { retryTransient } from './transient-error';

export interface PublishOptions {
  /** De-duplication key: a second publish with the same id inside the stream's window is dropped. */
  msgId: string;
  /** Tokens appended to the subject (`${runId}.${stepId}` for `kiln.logs`). */
  suffix?: string;
}

export interface PublishResult {
  seq: number;
  /** The stream already had a message with this msgId (this one was not stored again). */
  duplicate: boolean;
}

/** Publishing, broadcast subscriptions and stream reads, all in the contract's unprefixed names. */
@Injectable()
export class MessagingService {
  private readonly logger = new Logger(MessagingService.name);

  constructor(@Inject(MessagingConnection) private readonly connection: MessagingConnection) {}

  /**
   * Stores an event in its stream. Retries transient errors (a restarting server) for a bounded
   * time; thanks to msgId a retry after a lost ack reports `duplicate` instead of storing twice.
   */
  async publish<S extends EventSubject>(
    subject: S,
    payload: EventMap[S],
    opts: PublishOptions,
  ): Promise<PublishResult> {
    if (!opts.msgId) throw new Error(`publish ${subject}: msgId is required`);
    validateEvent(subject, payload);
    const full = withSuffix(subject, opts.suffix);
    const route = routeOf(subject);
    if (!subjectMatches(route.filter, full)) {
      throw new Error(
        `${full} is not stored by ${route.stream.name} (subjects ${route.stream.subjects.join(', ')})`,
      );
    }
    const data = encodeEvent(subject, payload);
    const budget = this.connection.options.publishRetryMs ?? 10_000;
    const ack = await retryTransient(budget, (remainingMs) =>
      this.connection.js.publish(this.connection.names.subject(full), data, {
        msgID: opts.msgId,
        timeout: Math.min(remainingMs, 5_000),
      }),
    );
    messagingMetrics.published.inc({ subject });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * A plain NATS subscription: every instance hears every message (all executors hear a
   * cancel). Nothing is acked or replayed; messages sent while disconnected are missed.
   */
  subscribeBroadcast<S extends EventSubject>(
    subject: S,
    handler: (payload: EventMap[S]) => void | Promise<void>,
  ): () => void {
    const { filter } = routeOf(subject);
    const onError = (err: unknown) =>
      this.logger.error(
        { subject, error: err instanceof Error ? err.message : String(err) },
        'broadcast handler failed',
      );
    const sub = this.connection.nc.subscribe(this.connection.names.subject(filter), {
      callback: (err, msg) => {
        if (err) return onError(err);
        let payload: EventMap[S];
        try {
          payload = validateEvent(subject, decodeEvent(subject, msg.data));
        } catch (invalid) {
          const error = invalid instanceof Error ? invalid.message : String(invalid);
          this.logger.warn({ subject: msg.subject, error }, 'dropped an invalid broadcast message');
          return;
        }
        try {
          Promise.resolve(handler(payload)).catch(onError);
        } catch (thrown) {
          onError(thrown);
        }
      },
    });
    return () => sub.unsubscribe();
  }

  /**
   * Every stored message on `subject` (full, unprefixed, suffix tokens allowed) from the first
   * one (or `fromSeq`), then live ones as they arrive. Leaving the loop removes the consumer.
   */
  readStream(subject: string, opts: ReadStreamOptions = {}): AsyncIterable<StreamEntry> {
    return { [Symbol.asyncIterator]: () => new StreamReader(this.connection, subject, opts) };
  }

  /**
   * The first message stored on `subject` (full, unprefixed, suffix tokens allowed) after stream
   * sequence `afterSeq`, or null when there is none: one request answered by the stream's leader,
   * where a consumer costs a create, a pull and a delete. For subjects with a few messages (a
   * short step's log chunks); `readStream` for long ones. `data` is undefined when the payload
   * cannot be decoded (logged, as `readStream` skips it); `decode` as `readStream`'s.
   */
  async nextStored(
    subject: string,
    afterSeq = 0,
    decode: (data: Uint8Array) => unknown = (data) => decodeEvent(subject, data),
  ): Promise<{ seq: number; data: unknown } | null> {
    const { jsm, names } = this.connection;
    const full = names.subject(subject);
    // MSG.GET has taken next_by_subj since NATS 2.9; the client types it for direct gets only.
    const query = { seq: afterSeq + 1, next_by_subj: full } as unknown as { seq: number };
    const msg = await jsm.streams.getMessage(names.stream(streamStoring(subject).name), query);
    if (!msg) return null;
    try {
      return { seq: msg.seq, data: decode(msg.data) };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.logger.warn({ subject: msg.subject, seq: msg.seq, error }, 'a stored message cannot be decoded');
      return { seq: msg.seq, data: undefined };
    }
  }

  /**
   * The event stored at `seq` in the stream of `subject`, or null when it is gone. A duplicate
   * publish answers the sequence of the message first stored under its msgId: this reads that one.
   */
  async stored<S extends EventSubject>(subject: S, seq: number): Promise<EventMap[S] | null> {
    const stream = this.connection.names.stream(routeOf(subject).stream.name);
    const msg = await this.connection.jsm.streams.getMessage(stream, { seq });
    return msg ? (decodeEvent(subject, msg.data) as EventMap[S]) : null;
  }

  /** Readiness: the connection is up and the JetStream API answers. */
  async ping(): Promise<void> {
    if (!this.connection.isConnected()) throw new Error('not connected to NATS');
    await this.connection.jsm.getAccountInfo();
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  get nc(): NatsConnection {
    return this.connection.nc;
  }

  get js(): JetStreamClient {
    return this.connection.js;
  }

  get jsm(): JetStreamManager {
    return this.connection.jsm;
  }
}
