import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  StreamConfig,
  StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { DEFAULT_LOG_STREAM_MAX_BYTES, STREAMS, StreamDefinition } from '@kiln/contracts';
import { MessagingConnection } from './messaging.connection';

/** JetStream's "stream name already in use": another replica created it a moment ago. */
const STREAM_NAME_IN_USE = 10058;
const SUBJECTS_OVERLAP = 10065;
/** What a create that raced another replica's create may answer. */
const RACE_CODES = [STREAM_NAME_IN_USE, SUBJECTS_OVERLAP];
/** JetStream's "insufficient storage resources available": the server cannot reserve max_bytes. */
const INSUFFICIENT_STORAGE = 10047;

type WantedStream = Pick<
  StreamConfig,
  'name' | 'subjects' | 'retention' | 'storage' | 'max_age' | 'max_bytes' | 'duplicate_window'
>;

/**
 * Creates the streams of `STREAMS` at start, or updates one whose settings drifted. It never
 * deletes a stream or its messages; a change the server refuses (e.g. retention) stops start-up.
 */
@Injectable()
export class StreamProvisioner implements OnModuleInit {
  private readonly logger = new Logger(StreamProvisioner.name);

  constructor(@Inject(MessagingConnection) private readonly connection: MessagingConnection) {}

  async onModuleInit(): Promise<void> {
    if (this.connection.options.provisionStreams === false) return;
    await this.ensureAll();
  }

  async ensureAll(): Promise<void> {
    for (const definition of STREAMS) await this.ensure(definition);
  }

  async ensure(definition: StreamDefinition): Promise<void> {
    const wanted = this.configOf(definition);
    // Several replicas may race: whoever loses the create sees the stream on the next round. While
    // one replica's create is under way, NATS 2.9 may answer another's with "subjects overlap".
    let lost: unknown;
    for (let round = 0; round < 5; round++) {
      const existing = await this.info(wanted.name);
      if (!existing) {
        try {
          await this.connection.jsm.streams.add(wanted);
          this.logger.log({ stream: wanted.name }, 'created stream');
          return;
        } catch (err) {
          if (err instanceof JetStreamApiError && err.code === INSUFFICIENT_STORAGE)
            throw tooLarge(wanted, err);
          if (!(err instanceof JetStreamApiError && RACE_CODES.includes(err.code))) throw err;
          lost = err;
          await new Promise((resolve) => setTimeout(resolve, 50 * (round + 1)));
          continue;
        }
      }
      const kept = keepLargerSize(existing.config, wanted);
      if (kept !== wanted.max_bytes) {
        this.logger.warn(
          { stream: wanted.name, maxBytes: existing.config.max_bytes, configured: wanted.max_bytes },
          'stream is larger than configured: kept (shrinking drops its oldest messages; do it by hand)',
        );
      }
      const drift = differences(existing.config, { ...wanted, max_bytes: kept });
      if (drift.length === 0) return;
      try {
        await this.connection.jsm.streams.update(wanted.name, { ...wanted, max_bytes: kept });
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === INSUFFICIENT_STORAGE)
          throw tooLarge(wanted, err);
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `stream ${wanted.name} differs in ${drift.join(', ')} and the server refused the update: ${reason}`,
          {
            cause: err,
          },
        );
      }
      this.logger.log({ stream: wanted.name, changed: drift }, 'updated stream');
      return;
    }
    throw new Error(`stream ${wanted.name} could not be created: ${String(lost)}`, { cause: lost });
  }

  private configOf(definition: StreamDefinition): WantedStream {
    const names = this.connection.names;
    return {
      name: names.stream(definition.name),
      subjects: definition.subjects.map((s) => names.subject(s)),
      retention: definition.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(definition.maxAgeMs),
      max_bytes:
        definition.maxBytes === 'logStreamMaxBytes'
          ? (this.connection.options.logStreamMaxBytes ?? DEFAULT_LOG_STREAM_MAX_BYTES)
          : (definition.maxBytes ?? -1),
      duplicate_window: nanos(definition.duplicateWindowMs),
    };
  }

  private async info(name: string): Promise<StreamInfo | null> {
    try {
      return await this.connection.jsm.streams.info(name);
    } catch (err) {
      if (err instanceof Error && err.name === 'StreamNotFoundError') return null;
      throw err;
    }
  }
}

/** The server cannot reserve the stream's size: says which setting to lower, or which storage to grow. */
function tooLarge(wanted: WantedStream, cause: JetStreamApiError): Error {
  const size = wanted.max_bytes > 0 ? `${(wanted.max_bytes / 1024 ** 3).toFixed(2)} GiB of ` : '';
  return new Error(
    `NATS cannot reserve ${size}JetStream storage for stream ${wanted.name} (${cause.message}): ` +
      'give the server more (its max_file_store, by default 75 % of the free space of its store directory) ' +
      'or lower KILN_LOG_STREAM_MAX_BYTES on every app',
    { cause },
  );
}

/**
 * The size to keep: never below what the stream already has. Apps that disagree (one not fed the
 * same setting, an old replica mid-rollout) would otherwise shrink and grow it in turn, and each
 * shrink drops the oldest messages, logs not yet archived among them.
 */
function keepLargerSize(actual: StreamConfig, wanted: WantedStream): number {
  if (actual.max_bytes === -1 || wanted.max_bytes === -1)
    return wanted.max_bytes === -1 ? -1 : actual.max_bytes;
  return Math.max(actual.max_bytes, wanted.max_bytes);
}

function differences(actual: StreamConfig, wanted: WantedStream): string[] {
  const drift: string[] = [];
  const sameSubjects =
    actual.subjects.length === wanted.subjects.length &&
    wanted.subjects.every((s) => actual.subjects.includes(s));
  if (!sameSubjects) drift.push('subjects');
  for (const key of ['retention', 'storage', 'max_age', 'max_bytes', 'duplicate_window'] as const) {
    if (actual[key] !== wanted[key]) drift.push(key);
  }
  return drift;
}
