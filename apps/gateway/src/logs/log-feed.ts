import {
  decodeLogChunkBytes,
  logSubjectSuffix,
  StoredLogChunk,
  storedLogChunkProblem,
  Subjects,
} from '@kiln/contracts';
import { MessagingService } from '@kiln/messaging';
import { Injectable, Logger } from '@nestjs/common';

export interface FeedItem {
  /** Its text stays the bytes it arrived in: decoded a piece at a time (`forEachLogLine`). */
  chunk: StoredLogChunk;
  /** Messages of this subject still in the stream after this one (0 = caught up). */
  pending: number;
}

export type FeedNext = FeedItem | 'idle' | 'closed';

/**
 * Chunks requested ahead of a log reader. The NATS client's default (100) keeps up to ~6 MiB of
 * 64 KiB chunks waiting for each follower of a chatty step slower than the stream; 8 as for the
 * archiver (log-chunk.reader.ts). With one follower in app-rss the gateway's peak did not move.
 */
const FEED_PREFETCH = 8;

/**
 * Reads a step's log chunks from KILN_LOGS from the first one, then follows. `next(ms)` answers
 * 'idle' when nothing arrived within `ms`, so callers can check on the step meanwhile.
 */
export class LogFeedReader {
  private readonly logger = new Logger(LogFeedReader.name);
  private pendingNext?: Promise<IteratorResult<{ data: unknown; pending: number }>>;
  private closed = false;

  constructor(
    private readonly iterator: AsyncIterator<{ data: unknown; pending: number }>,
    private readonly runId: string,
    private readonly stepId: string,
  ) {}

  async next(idleMs: number): Promise<FeedNext> {
    while (!this.closed) {
      this.pendingNext ??= this.iterator.next();
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)));
      const result = await Promise.race([this.pendingNext, idle]).finally(() => clearTimeout(timer));
      if (result === 'idle') return 'idle';
      this.pendingNext = undefined;
      if (result.done) return 'closed';
      const problem = storedLogChunkProblem(result.value.data, this.runId, this.stepId);
      if (problem === null)
        return { chunk: result.value.data as StoredLogChunk, pending: result.value.pending };
      // One malformed chunk must not end everyone's log view; the archiver reports it too.
      this.logger.warn({ error: problem }, 'skipped an invalid log chunk');
    }
    return 'closed';
  }

  /** Stops the underlying consumer; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.iterator.return?.()?.catch((error: unknown) => {
      // The reader is being discarded: a consumer that fails to stop ends with the connection anyway.
      this.logger.debug({ error: String(error) }, 'log consumer did not stop cleanly');
    });
  }
}

@Injectable()
export class LogFeed {
  constructor(private readonly messaging: MessagingService) {}

  open(runId: string, stepId: string): LogFeedReader {
    const subject = `${Subjects.Logs}.${logSubjectSuffix(runId, stepId)}`;
    const chunks = this.messaging.readStream(subject, {
      prefetch: FEED_PREFETCH,
      decode: decodeLogChunkBytes,
    });
    return new LogFeedReader(chunks[Symbol.asyncIterator](), runId, stepId);
  }
}
