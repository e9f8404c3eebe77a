import { MessagingConnection, MessagingService } from '@kiln/messaging';
import { Inject, Injectable } from '@nestjs/common';

/** No message for this long while reading means the stream has nothing more to give. */
const IDLE_TIMEOUT_MS = 10_000;
/**
 * Chunks requested ahead of the archiver. With the client's 100 (~7 MiB of 64 KiB chunks) the
 * waiting ones outlived two scavenges and were promoted, and their buffers were only freed by full
 * GCs: 20-57 MiB of array buffers while a 50 MiB log was archived, RSS peak 1.5-1.7× idle in
 * `pnpm bench app-rss`. 8 brought that to 1.25× with 64 KiB chunks; with the executor's chunks of
 * up to 256 KiB, 8 let 39-40 MiB of array buffers wait for a GC again (peak 1.49-1.51×), 2 leave
 * 10-19 MiB (1.34×) and archive as fast (log-flood at scale 0.5, two interleaved pairs).
 */
const PREFETCH_CHUNKS = 2;

export interface ReadChunk {
  data: unknown;
  /** Nothing else was stored on the subject when this message was read. */
  caughtUp: boolean;
}

/** Reads a step's log subject back from KILN_LOGS, from its first message. */
@Injectable()
export class LogChunkReader {
  constructor(
    private readonly messaging: MessagingService,
    @Inject(MessagingConnection) private readonly connection: MessagingConnection,
  ) {}

  /** Whether anything is stored on `subject`: a reader of an empty subject would only ever wait. */
  async hasMessages(subject: string): Promise<boolean> {
    const { jsm, names } = this.connection;
    const full = names.subject(subject);
    const stream = await jsm.streams.find(full);
    return (await jsm.streams.getMessage(stream, { last_by_subj: full })) !== null;
  }

  /**
   * Every message on `subject` in stream order, ending after the one that caught up with the
   * stream. A message the reader skips (not JSON) cannot stall it: silence ends the read too.
   */
  async *read(subject: string): AsyncGenerator<ReadChunk> {
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), IDLE_TIMEOUT_MS);
    try {
      for await (const entry of this.messaging.readStream(subject, {
        signal: idle.signal,
        prefetch: PREFETCH_CHUNKS,
      })) {
        clearTimeout(timer);
        yield { data: entry.data, caughtUp: entry.pending === 0 };
        if (entry.pending === 0) return;
        timer = setTimeout(() => idle.abort(), IDLE_TIMEOUT_MS);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
