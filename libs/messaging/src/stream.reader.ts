import { Logger } from '@nestjs/common';
import { decodeEvent } from '@kiln/contracts';
import { Consumer, ConsumerMessages, DeliverPolicy, JsMsg } from '@nats-io/jetstream';
import { MessagingConnection } from './messaging.connection';
import { streamStoring } from './subject-names';

export interface ReadStreamOptions {
  /** Start at this stream sequence instead of the first message. */
  fromSeq?: number;
  /** Ends the iteration (and removes the consumer) when aborted, even while waiting for a message. */
  signal?: AbortSignal;
  /**
   * Messages requested ahead of the reader (default: the client's 100). The client asks for more
   * as messages arrive, not as they are read, so a reader slower than the server keeps about this
   * many payloads waiting, each holding the socket read it came in.
   */
  prefetch?: number;
  /** Turns a payload into `data` (default: `decodeEvent` for the subject); a throw skips the message. */
  decode?: (data: Uint8Array) => unknown;
}

export interface StreamEntry {
  seq: number;
  /** The decoded payload (`decodeEvent` unless the reader's `decode`), unvalidated. */
  data: unknown;
  /** Messages already stored after this one: 0 means the reader has caught up. */
  pending: number;
}

/** The server drops an ordered consumer nobody pulls from after this long (a crashed reader). */
const INACTIVE_THRESHOLD_MS = 60_000;

/**
 * An ordered consumer as an async iterator. `return()` (a `break` in `for await`, or an abort)
 * closes the pull and deletes the consumer even while a `next()` is waiting for a message.
 */
export class StreamReader implements AsyncIterator<StreamEntry> {
  private readonly logger = new Logger(StreamReader.name);
  private opening?: Promise<void>;
  private consumer?: Consumer;
  private messages?: ConsumerMessages;
  private iterator?: AsyncIterator<JsMsg>;
  private finished = false;
  private readonly onAbort = () => void this.return();

  constructor(
    private readonly connection: MessagingConnection,
    private readonly subject: string,
    private readonly opts: ReadStreamOptions,
  ) {
    if (opts.signal?.aborted) this.finished = true;
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async next(): Promise<IteratorResult<StreamEntry>> {
    if (this.finished) return { done: true, value: undefined };
    try {
      this.opening ??= this.open();
      await this.opening;
      while (!this.finished && this.iterator) {
        const result = await this.iterator.next();
        if (result.done) break;
        const entry = this.toEntry(result.value);
        if (entry) return { done: false, value: entry };
      }
    } catch (err) {
      await this.return();
      throw err;
    }
    await this.return();
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<StreamEntry>> {
    if (this.finished && !this.consumer) return { done: true, value: undefined };
    this.finished = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    // Wait for a consumer still being created, so it is deleted rather than leaked.
    await this.opening?.catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    // close() unblocks a waiting next(); the generator's return() then finishes the client's
    // iterator, whose close only completes once its queue is drained (it would hang after a break).
    const closed = this.messages?.close();
    await this.iterator?.return?.(undefined);
    await closed;
    await consumer?.delete().catch((err: unknown) => {
      // Best effort: the server removes it after INACTIVE_THRESHOLD_MS anyway.
      this.logger.debug(
        { error: err instanceof Error ? err.message : String(err) },
        'could not delete reader',
      );
    });
    return { done: true, value: undefined };
  }

  private async open(): Promise<void> {
    const { js, names } = this.connection;
    const stream = names.stream(streamStoring(this.subject).name);
    const consumer = await js.consumers.get(stream, {
      filter_subjects: names.subject(this.subject),
      inactive_threshold: INACTIVE_THRESHOLD_MS,
      ...(this.opts.fromSeq ? { opt_start_seq: this.opts.fromSeq } : { deliver_policy: DeliverPolicy.All }),
    });
    this.consumer = consumer;
    if (this.finished) return;
    const { prefetch } = this.opts;
    this.messages = await consumer.consume(prefetch ? { max_messages: prefetch } : undefined);
    this.iterator = this.messages[Symbol.asyncIterator]();
  }

  private toEntry(msg: JsMsg): StreamEntry | null {
    try {
      const data = this.opts.decode ? this.opts.decode(msg.data) : decodeEvent(this.subject, msg.data);
      return { seq: msg.seq, data, pending: msg.info.pending };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.logger.warn(
        { subject: msg.subject, seq: msg.seq, error },
        'skipped a message that cannot be decoded',
      );
      return null;
    }
  }
}
