import {
  logSubjectSuffix,
  StepFinishedEvent,
  StoredLogChunk,
  storedLogChunkProblem,
  Subjects,
} from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { MessageContext, MessagingService } from '@kiln/messaging';
import { logTimesKey, OBJECT_STORAGE, ObjectStorage, stepLogKey } from '@kiln/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { ArchiverMetrics } from './archiver-metrics';
import { AssembledLog, LogAssembler } from './log-assembler';
import { LogChunkReader } from './log-chunk.reader';
import { SpillingText } from './spilling-text';

/**
 * Deliveries of a step.finished whose log has gaps before the gaps are archived as such. The
 * executor stores every chunk before step.finished, so a gap that outlasts a few retries
 * (about 8 s with the consumer's backoff) will not fill; waiting longer only delays the log.
 */
export const GAP_RETRY_DELIVERIES = 4;
/** The handler tells JetStream it is still working this often, so long archives are not redelivered. */
const HEARTBEAT_MS = 3_000;
const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';
/**
 * Pieces of text (one a chunk, up to 256 KiB) assembled ahead of the object store's writes at most.
 * Pieces are passed on as they are: a byte stream in between (a PassThrough) copied them into one
 * Buffer per read, and that allocation, with NATS's and the sockets', set off a full GC about every
 * 100 ms while a long log was archived (bench/README.md, round seven).
 */
const PIECES_AHEAD = 4;
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
   * Stores the log at `key` while its chunks are read: the object store pulls the text as it is
   * assembled, a few pieces ahead, so reading the stream and writing the object overlap (a
   * temporary file in between doubled the archive's time, most of it waiting on one or the other).
   * A log with gaps that may still fill is not stored: its upload fails with IncompleteLogError and
   * the delivery is retried. The times object is stored before the log's upload ends, so a log
   * object never appears without its times.
   */
  private async storeLog(
    event: StepFinishedEvent,
    key: string,
    deliveryCount: number,
  ): Promise<AssembledLog & { bytes: number }> {
    const times = new SpillingText(TIMES_IN_MEMORY_BYTES);
    try {
      const assembled: { log?: AssembledLog } = {};
      const text = this.logText(event, times, async (log) => {
        if (log.missing.length > 0 && event.logChunks !== undefined && deliveryCount < GAP_RETRY_DELIVERIES) {
          throw new IncompleteLogError(event.stepId, describe(log));
        }
        const timesBody = await times.body();
        await this.storage.put(logTimesKey(key), timesBody.body, {
          contentType: LOG_CONTENT_TYPE,
          size: timesBody.size,
          sha256: false,
        });
        assembled.log = log;
      });
      // Each piece stays the Buffer it arrived in: a byte stream would copy pieces together.
      const body = Readable.from(text, { objectMode: true, highWaterMark: PIECES_AHEAD });
      // Nothing reads a log's hash: not computing one is ~15 % of the archiver's CPU for a long log.
      const { size } = await this.storage.put(key, body, { contentType: LOG_CONTENT_TYPE, sha256: false });
      if (!assembled.log)
        throw new Error(`the log of step ${event.stepId} was stored before it was assembled`);
      return { ...assembled.log, bytes: size };
    } finally {
      await times.dispose();
    }
  }

  /**
   * The attempt's text, read from its chunks in order, piece by piece; their times go to `times`.
   * `beforeEnd` gets the assembled log after the last piece and before the text ends.
   */
  private async *logText(
    event: StepFinishedEvent,
    times: SpillingText,
    beforeEnd: (log: AssembledLog) => Promise<void>,
  ): AsyncGenerator<Buffer> {
    const pieces: Buffer[] = [];
    const assembler = new LogAssembler(event.attempt, event.logChunks, async (text, entries) => {
      pieces.push(text);
      await times.write(entries);
    });
    const subject = `${Subjects.Logs}.${logSubjectSuffix(event.runId, event.stepId)}`;
    if (event.logChunks !== 0) {
      for await (const data of this.reader.read(subject)) {
        const chunk = this.toChunk(data, event);
        if (chunk) await assembler.add(chunk);
        yield* pieces.splice(0);
        if (assembler.complete) break;
      }
    }
    const log = await assembler.finish();
    yield* pieces.splice(0);
    await beforeEnd(log);
  }

  private toChunk(data: unknown, event: StepFinishedEvent): StoredLogChunk | null {
    const problem = storedLogChunkProblem(data, event.runId, event.stepId);
    if (problem === null) {
      const chunk = data as StoredLogChunk;
      // The log is served as UTF-8: bytes that are not (never from the executor, which encodes
      // strings) are stored as decoding them would show them, U+FFFD for each bad sequence.
      return isUtf8(chunk.text) ? chunk : { ...chunk, text: Buffer.from(chunk.text.toString('utf8')) };
    }
    // A malformed chunk can never become valid: leave it out; the gap it leaves is marked.
    this.logger.warn({ runId: event.runId, stepId: event.stepId, problem }, 'skipped an unusable log chunk');
    return null;
  }
}

function describe(log: AssembledLog): string {
  return log.missing.map(({ from, to }) => `${from}..${to}`).join(', ');
}
