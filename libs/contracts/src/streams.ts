import { DEAD_LETTER_PREFIX, Subjects } from './subjects';

export interface StreamDefinition {
  name: string;
  subjects: string[];
  /** `workqueue` removes a message once acked; `limits` keeps it until max age/bytes. */
  retention: 'limits' | 'workqueue';
  maxAgeMs: number;
  /**
   * Most bytes the stream keeps; JetStream reserves that much of its storage for it when the stream
   * is created. `logStreamMaxBytes`: the installation's setting (KILN_LOG_STREAM_MAX_BYTES).
   */
  maxBytes?: number | 'logStreamMaxBytes';
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate. */
  duplicateWindowMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * KILN_LOGS's size when the installation sets none: 8 GiB. A step's log is archived only once the
 * step has ended, so its first chunks must outlast every log byte the platform writes while it
 * runs (and an archiver outage); a NATS server with its default storage (75 % of its disk's free
 * space) reserves it with ~11 GB free, and an app says so when it cannot.
 */
export const DEFAULT_LOG_STREAM_MAX_BYTES = 8 * 1024 * 1024 * 1024;

/** The JetStream streams; each app provisions them idempotently at start. */
export const STREAMS: StreamDefinition[] = [
  {
    name: 'KILN_EVENTS',
    subjects: [
      Subjects.RunRequested,
      Subjects.RunCancel,
      Subjects.RunFinished,
      Subjects.StepStarted,
      Subjects.StepFinished,
      Subjects.StepDecided,
      Subjects.StepLogArchived,
      Subjects.DeploymentUpdated,
    ],
    retention: 'limits',
    maxAgeMs: 7 * DAY,
    duplicateWindowMs: 10 * MINUTE,
  },
  {
    // Dispatches carry resolved secrets: a work queue deletes each one once an executor acks it.
    name: 'KILN_DISPATCH',
    subjects: [Subjects.StepDispatched],
    retention: 'workqueue',
    maxAgeMs: DAY,
    duplicateWindowMs: 10 * MINUTE,
  },
  {
    name: 'KILN_LOGS',
    subjects: [`${Subjects.Logs}.>`],
    retention: 'limits',
    maxAgeMs: 3 * DAY,
    maxBytes: 'logStreamMaxBytes',
    duplicateWindowMs: 10 * MINUTE,
  },
  {
    name: 'KILN_HEARTBEATS',
    subjects: [Subjects.ExecutorHeartbeat],
    retention: 'limits',
    maxAgeMs: 10 * MINUTE,
    duplicateWindowMs: MINUTE,
  },
  {
    name: 'KILN_DEAD',
    subjects: [`${DEAD_LETTER_PREFIX}.>`],
    retention: 'limits',
    maxAgeMs: 30 * DAY,
    duplicateWindowMs: MINUTE,
  },
];
