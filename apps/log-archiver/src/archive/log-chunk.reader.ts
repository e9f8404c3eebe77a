import { MessagingConnection } from '@kiln/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';

/** No message for this long while reading means the stream has nothing more to give. */
const IDLE_TIMEOUT_MS = 10_000;
/** The server drops a reader's consumer nobody pulls from after this long (a crashed archiver). */
const INACTIVE_THRESHOLD_MS = 60_000;

export interface ReadChunk {
  /** The message as stored, undecoded (a view of the client's receive buffer, never reused by it). */
  data: Uint8Array;
  /** Nothing else was stored on the subject when this message was read. */
  caughtUp: boolean;
}

/**
 * Reads a step's log subject back from KILN_LOGS, from its first message, as the stored bytes.
 * An ordered consumer of its own rather than `MessagingService.readStream`, which decodes every
 * chunk's text into a string: the archive only copies the text, and decoding it to a string and
 * encoding it back was a third of the archiver's time on a large log (bench/README.md).
 */
@Injectable()
export class LogChunkReader {
  private readonly logger = new Logger(LogChunkReader.name);

  constructor(@Inject(MessagingConnection) private readonly connection: MessagingConnection) {}

  /** The stream holding `subject` when anything is stored on it: a reader of an empty subject would only ever wait. */
  async streamWithMessages(subject: string): Promise<string | null> {
    const { jsm, names } = this.connection;
    const full = names.subject(subject);
    const stream = await jsm.streams.find(full);
    return (await jsm.streams.getMessage(stream, { last_by_subj: full })) === null ? null : stream;
  }

  /**
   * Every message on `subject` in stream order, ending after the one that caught up with the
   * stream, or after IDLE_TIMEOUT_MS without a message. Leaving the loop removes the consumer.
   */
  async *read(stream: string, subject: string): AsyncGenerator<ReadChunk> {
    const consumer = await this.connection.js.consumers.get(stream, {
      filter_subjects: this.connection.names.subject(subject),
      inactive_threshold: INACTIVE_THRESHOLD_MS,
    });
    try {
      const messages = await consumer.consume();
      const iterator = messages[Symbol.asyncIterator]();
      let timer = setTimeout(() => void messages.close(), IDLE_TIMEOUT_MS);
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          clearTimeout(timer);
          const pending = next.value.info.pending;
          yield { data: next.value.data, caughtUp: pending === 0 };
          if (pending === 0) return;
          timer = setTimeout(() => void messages.close(), IDLE_TIMEOUT_MS);
        }
      } finally {
        clearTimeout(timer);
        // close() ends the pull; the iterator's close only completes once its queue is drained,
        // which return() does (awaiting close() alone would hang after an early return).
        const closed = messages.close();
        await iterator.return?.(undefined);
        await closed;
      }
    } finally {
      await consumer.delete().catch((err: unknown) => {
        // Best effort: the server removes it after INACTIVE_THRESHOLD_MS anyway.
        this.logger.debug(
          { error: err instanceof Error ? err.message : String(err) },
          'could not delete log reader',
        );
      });
    }
  }
}
