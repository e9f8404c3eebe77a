import { decodeLogChunkBytes } from '@kiln/contracts';
import { MessagingService } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';

/** No message for this long while reading means the stream has nothing more to give. */
const IDLE_TIMEOUT_MS = 10_000;
/**
 * Chunks read one request each before the reader turns to a consumer. Most steps log one or two
 * chunks: a request each (and one that finds nothing more) replaces finding the stream, asking
 * for its last message, and creating, pulling from and deleting a consumer, round trips that cost
 * both the archiver and NATS more than the chunks did (run-throughput, issue 20).
 */
const DIRECT_READS = 8;
/**
 * Chunks a consumer requests ahead of the archiver. With the client's 100 (~7 MiB of 64 KiB chunks)
 * the waiting ones outlived two scavenges and were promoted, and their buffers were only freed by
 * full GCs: 20-57 MiB of array buffers while a 50 MiB log was archived, RSS peak 1.5-1.7× idle in
 * `pnpm bench app-rss`. 8 brought that to 1.25× with 64 KiB chunks; with the executor's chunks of
 * up to 256 KiB, 8 let 39-40 MiB of array buffers wait for a GC again (peak 1.49-1.51×), 2 leave
 * 10-19 MiB (1.34×) and archive as fast (log-flood at scale 0.5, two interleaved pairs).
 */
const PREFETCH_CHUNKS = 2;

/** Reads a step's log subject back from KILN_LOGS. */
@Injectable()
export class LogChunkReader {
  constructor(private readonly messaging: MessagingService) {}

  /**
   * The payload of every message on `subject` in stream order (`decodeLogChunkBytes`: the text
   * stays bytes; undefined for one that cannot be decoded), ending once the stream has nothing
   * more on it. The first few are read one request each; a longer log goes on through a consumer,
   * which a silent stream cannot stall either.
   */
  async *read(subject: string): AsyncGenerator<unknown> {
    let after = 0;
    for (let read = 0; read < DIRECT_READS; read++) {
      const entry = await this.messaging.nextStored(subject, after, decodeLogChunkBytes);
      if (!entry) return;
      yield entry.data;
      after = entry.seq;
    }
    // The consumer starts at a message known to be there, so it reports when it has caught up.
    const next = await this.messaging.nextStored(subject, after, decodeLogChunkBytes);
    if (next) yield* this.consume(subject, next.seq);
  }

  private async *consume(subject: string, fromSeq: number): AsyncGenerator<unknown> {
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), IDLE_TIMEOUT_MS);
    try {
      for await (const entry of this.messaging.readStream(subject, {
        fromSeq,
        signal: idle.signal,
        prefetch: PREFETCH_CHUNKS,
        decode: decodeLogChunkBytes,
      })) {
        clearTimeout(timer);
        yield entry.data;
        if (entry.pending === 0) return;
        timer = setTimeout(() => idle.abort(), IDLE_TIMEOUT_MS);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
