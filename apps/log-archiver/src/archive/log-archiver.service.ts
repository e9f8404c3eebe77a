import { LogChunkEvent, logSubjectSuffix, StepFinishedEvent, Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { MessageContext, MessagingService } from '@kiln/messaging';
import { logTimesKey, OBJECT_STORAGE, ObjectStorage, stepLogKey } from '@kiln/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PassThrough, Writable } from 'node:stream';
import { ArchiverMetrics } from './archiver-metrics';
import { AssembledLog, LogAssembler } from './log-assembler';
import { logChunkProblem } from './log-chunk.guard';
import { LogChunkReader } from './log-chunk.reader';
import { SpillingText, writeText } from './spilling-text';

/**
 * Deliveries of a step.finished whose log has gaps before the gaps are archived as such. The
 * executor stores every chunk before step.finished, so a gap that outlasts a few retries
 * (about 8 s with the consumer's backoff) will not fill; waiting longer only delays the log.
 */
export const GAP_RETRY_DELIVERIES = 4;
/** The handler tells JetStream it is still working this often, so long archives are not redelivered. */
const HEARTBEAT_MS = 3_000;
const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Text assembled ahead of the object store's writes at most. */
const UPLOAD_BUFFER_BYTES = 1024 * 1024;
/** A log's times are kept in memory up to this size (a log of ~400 000 lines), in a file beyond. */
const TIMES_IN_MEMORY_BYTES = 1024 * 1024;

/** Some chunks `logChunks` promised are not in the stream (yet): the delivery is retried. */
export class IncompleteLogError extends Error {
  constructor(stepId: string, missing: string) {
    super(`log of step ${stepId} is missing chunks ${missing}; retrying before archiving it incomplete`);
    this.name = 'IncompleteLogError';
  }
}

interface StepRow {
  runId: string;
  name: string;
  attempt: number;
}

/**
 * The step's run, name and current attempt, through the pg pool: the archiver's only query, so
 * Prisma's query compiler (11-15 MiB, and its CPU per call) never loads in this app.
 */
const STEP_ROW = {
  name: 'kiln-archiver-step',
  text: 'SELECT run_id AS "runId", name, attempt FROM steps WHERE id = $1::uuid',
};

/**
 * Turns the log chunks of one finished step attempt into its object (`stepLogKey`: the first
 * attempt at `logs/pipelines/<run>/<step>.log`, a retry's beside it), with its lines' times in a
 * second object beside it (`logTimesKey`), and publishes `kiln.step.log-archived`:
 * the scheduler, the one writer of steps, points `steps.log_ref` at it while it is the step's
 * current attempt. Keeps no state between deliveries: a crash mid-archive leaves the event
 * un-acked, and the redelivery rewrites the same object and publishes again.
 */
@Injectable()
export class LogArchiverService {
  private readonly logger = new Logger(LogArchiverService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly messaging: MessagingService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly reader: LogChunkReader,
    private readonly metrics: ArchiverMetrics,
  ) {}

  async archive(event: StepFinishedEvent, ctx: MessageContext): Promise<void> {
    const heartbeat = setInterval(() => ctx.working(), HEARTBEAT_MS);
    try {
      const step = await this.stepToArchive(event);
      if (step) await this.archiveStep(event, step, ctx.deliveryCount);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async stepToArchive(event: StepFinishedEvent): Promise<StepRow | null> {
    const { rows } = await this.prisma.pool.query<StepRow>({ ...STEP_ROW, values: [event.stepId] });
    const step = rows[0];
    const ids = { runId: event.runId, stepId: event.stepId, attempt: event.attempt };
    if (!step || step.runId !== event.runId) {
      this.logger.warn(ids, 'step of a finished event does not exist (run deleted?); nothing to archive');
      return null;
    }
    // An attempt finished after its retry started (a late delivery) is archived all the same: each
    // attempt has its own object, and log_ref stays with the newest one (the scheduler's rule).
    return step;
  }

  private async archiveStep(event: StepFinishedEvent, step: StepRow, deliveryCount: number): Promise<void> {
    const stopTimer = this.metrics.seconds.startTimer();
    try {
      const key = stepLogKey(event.runId, step.name, event.attempt);
      const log = await this.storeLog(event, key, deliveryCount);
      // The same object of the same size is announced once; a rewrite that differs is announced again.
      await this.messaging.publish(
        Subjects.StepLogArchived,
        {
          version: 1,
          runId: event.runId,
          stepId: event.stepId,
          attempt: event.attempt,
          logRef: key,
          logBytes: log.bytes,
        },
        { msgId: `log-archived:${event.stepId}:${event.attempt}:${log.bytes}` },
      );
      const outcome = log.missing.length > 0 ? 'incomplete' : 'complete';
      this.metrics.archived.inc({ outcome });
      this.metrics.bytes.inc(log.bytes);
      this.logger.log(
        {
          runId: event.runId,
          step: step.name,
          attempt: event.attempt,
          key,
          chunks: log.chunks,
          lines: log.lines,
          bytes: log.bytes,
          outcome,
          ...(log.missing.length > 0 ? { missing: describe(log) } : {}),
          ...(step.attempt !== event.attempt ? { logRef: 'left to the newer attempt' } : {}),
        },
        'step log archived',
      );
    } finally {
      stopTimer();
    }
  }

  /**
   * Stores the log at `key` while its chunks are read: the object store takes the text as it is
   * assembled, so reading the stream and writing the object overlap (a temporary file in between
   * doubled the archive's time, most of it waiting on one or the other). A log with gaps that may
   * still fill is not stored: its upload is abandoned and the delivery retried. The times object is
   * stored before the log's upload ends, so a log object never appears without its times.
   */
  private async storeLog(
    event: StepFinishedEvent,
    key: string,
    deliveryCount: number,
  ): Promise<AssembledLog & { bytes: number }> {
    const body = new PassThrough({ highWaterMark: UPLOAD_BUFFER_BYTES });
    // Its errors are the upload's, reported by put(); a write into it after one throws (see write).
    body.on('error', () => undefined);
    // A failed upload stops the reading: a write waiting for room gets its error.
    const stored = this.storage.put(key, body, { contentType: LOG_CONTENT_TYPE }).catch((error: unknown) => {
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    // Awaited below; until then a failed upload must not count as an unhandled rejection.
    stored.catch(() => undefined);
    const times = new SpillingText(TIMES_IN_MEMORY_BYTES);
    try {
      const log = await this.assemble(event, body, times);
      if (log.missing.length > 0 && event.logChunks !== undefined && deliveryCount < GAP_RETRY_DELIVERIES) {
        throw new IncompleteLogError(event.stepId, describe(log));
      }
      const timesBody = await times.body();
      await this.storage.put(logTimesKey(key), timesBody.body, {
        contentType: LOG_CONTENT_TYPE,
        size: timesBody.size,
      });
      body.end();
      const { size } = await stored;
      return { ...log, bytes: size };
    } catch (error) {
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      // A write that found the upload gone knows only that; the upload's own error says why.
      const uploadError = await stored.then(
        () => undefined,
        (e: unknown) => e,
      );
      throw uploadError !== undefined && !(error instanceof IncompleteLogError) ? uploadError : error;
    } finally {
      await times.dispose();
    }
  }

  /** Reads the attempt's chunks in order, their text into `out` (left open), their times into `times`. */
  private async assemble(
    event: StepFinishedEvent,
    out: Writable,
    times: SpillingText,
  ): Promise<AssembledLog> {
    const assembler = new LogAssembler(event.attempt, event.logChunks, async (text, entries) => {
      await writeText(out, text);
      await times.write(entries);
    });
    const subject = `${Subjects.Logs}.${logSubjectSuffix(event.runId, event.stepId)}`;
    if (event.logChunks !== 0) {
      for await (const data of this.reader.read(subject)) {
        const chunk = this.toChunk(data, event);
        if (chunk) await assembler.add(chunk);
        if (assembler.complete) break;
      }
    }
    return assembler.finish();
  }

  private toChunk(data: unknown, event: StepFinishedEvent): LogChunkEvent | null {
    const problem = logChunkProblem(data, event.runId, event.stepId);
    if (problem === null) return data as LogChunkEvent;
    // A malformed chunk can never become valid: leave it out; the gap it leaves is marked.
    this.logger.warn({ runId: event.runId, stepId: event.stepId, problem }, 'skipped an unusable log chunk');
    return null;
  }
}

function describe(log: AssembledLog): string {
  return log.missing.map(({ from, to }) => `${from}..${to}`).join(', ');
}
