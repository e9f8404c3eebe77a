import { forEachLogLine } from '@kiln/contracts';
import { PrismaService, Step } from '@kiln/db';
import { isTerminalStep } from '@kiln/engine';
import { Injectable } from '@nestjs/common';
import { Request, Response } from 'express';
import { ArchivedLogService, LogAnswer } from './archived-log.service';
import { LogFeed, LogFeedReader } from './log-feed';
import { lastEventIdOf, SseWriter } from './sse';
import { TimedLine, timedText } from './timed-lines';

/** Without a chunk for this long, the step row is checked: it may have ended without a final chunk. */
const IDLE_CHECK_MS = 2000;
/** A plain-text read of a running step waits this long for a first chunk before answering. */
const SNAPSHOT_IDLE_MS = 1000;

/** A step's log from the KILN_LOGS stream: as events while it runs, or as text so far. */
@Injectable()
export class LiveLogService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly feed: LogFeed,
    private readonly archived: ArchivedLogService,
  ) {}

  /** Late joiners get every line from the first, then live lines, then `event: end` with the exit code. */
  async sse(step: Step, req: Request, res: Response): Promise<void> {
    const sse = new SseWriter(res, lastEventIdOf(req.get('last-event-id')));
    try {
      if (isTerminalStep(step.status) && (step.logRef || step.status === 'skipped')) {
        if (step.logRef) await this.replayArchived(step.logRef, res, sse);
        if (!res.destroyed) sse.event('end', { exit_code: step.exitCode });
        return;
      }
      const reader = this.feed.open(step.runId, step.id);
      res.on('close', () => reader.close());
      // A client that left while its access and the step were being read has closed already.
      if (res.destroyed) reader.close();
      try {
        await this.follow(step, reader, sse);
      } finally {
        reader.close();
      }
    } finally {
      sse.end();
    }
  }

  /** The lines published so far, as text (a running step, or a finished one not archived yet). */
  async text(step: Step, res: Response, { tail, timestamps }: LogAnswer = {}): Promise<void> {
    const lines = step.status === 'skipped' || step.status === 'pending' ? [] : await this.linesSoFar(step);
    const shown = tail === undefined ? lines : lines.slice(-tail);
    const plain = shown.map((line) => `${line.text}\n`).join('');
    // As for an archived log: with times, the plain log's size is a header (docs/logs.md).
    if (timestamps) res.set('X-Log-Bytes', String(Buffer.byteLength(plain)));
    res.type('text/plain; charset=utf-8').send(timestamps ? shown.map(timedText).join('') : plain);
  }

  private async linesSoFar(step: Step): Promise<TimedLine[]> {
    const reader = this.feed.open(step.runId, step.id);
    const attempt = new AttemptFilter(step.attempt);
    const lines: TimedLine[] = [];
    try {
      for (;;) {
        const item = await reader.next(SNAPSHOT_IDLE_MS);
        if (typeof item !== 'object') return lines;
        const verdict = attempt.judge(item.chunk.attempt, item.chunk.seq);
        if (verdict === 'skip') continue;
        if (verdict === 'restart') lines.length = 0;
        forEachLogLine(item.chunk, (text, ts) => lines.push({ ts, text }));
        if (item.chunk.final || item.pending === 0) return lines;
      }
    } finally {
      reader.close();
    }
  }

  private async replayArchived(key: string, res: Response, sse: SseWriter): Promise<void> {
    for await (const lines of this.archived.lines(key)) {
      // A client that left must not make us read the rest of a big log for nothing.
      if (res.destroyed) return;
      sse.dataMany(lines.map(({ ts, text }) => ({ ts, stream: 'stdout', text })));
      await sse.drained();
    }
  }

  private async follow(step: Step, reader: LogFeedReader, sse: SseWriter): Promise<void> {
    const attempt = new AttemptFilter(step.attempt);
    for (;;) {
      const item = await reader.next(IDLE_CHECK_MS);
      if (item === 'closed') return;
      if (item === 'idle') {
        // An executor lost mid-step never sends a final chunk; the scheduler still ends the step.
        const current = await this.prisma.step.findUnique({ where: { id: step.id } });
        if (!current || isTerminalStep(current.status)) {
          return sse.event('end', { exit_code: current?.exitCode ?? null });
        }
        continue;
      }
      const { chunk } = item;
      const verdict = attempt.judge(chunk.attempt, chunk.seq);
      if (verdict === 'skip') continue;
      if (verdict === 'restart') sse.event('attempt', { attempt: chunk.attempt });
      sse.dataLines(chunk);
      await sse.drained();
      if (chunk.final) return sse.event('end', { exit_code: chunk.exitCode ?? null });
    }
  }
}

/**
 * Chunks of one step attempt, each once: older attempts are skipped, a newer attempt (the step
 * runs again) restarts the log, and a republished chunk is ignored.
 */
class AttemptFilter {
  private readonly seen = new Set<number>();

  constructor(private attempt: number) {}

  judge(attempt: number, seq: number): 'take' | 'skip' | 'restart' {
    if (attempt < this.attempt || (attempt === this.attempt && this.seen.has(seq))) return 'skip';
    const restart = attempt > this.attempt;
    if (restart) {
      this.attempt = attempt;
      this.seen.clear();
    }
    this.seen.add(seq);
    return restart ? 'restart' : 'take';
  }
}
