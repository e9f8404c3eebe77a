export interface MessagingModuleOptions {
  /** NATS server URL, or several separated by commas; `nats://user:password@host:port` carries credentials. */
  url: string;
  /** NATS user and password; they take precedence over credentials in `url`. */
  user?: string;
  pass?: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  /**
   * Prepended to every subject (`t3f9a.` gives `t3f9a.kiln.run.requested`), and, with dots
   * turned into underscores, to every stream and durable name: test suites sharing one
   * server stay apart. Publishers and consumers keep using the unprefixed contract names.
   */
  prefix?: string;
  /** Create or update the streams of `STREAMS` at start (default true). */
  provisionStreams?: boolean;
  /** The KILN_LOGS stream's size (KILN_LOG_STREAM_MAX_BYTES; default DEFAULT_LOG_STREAM_MAX_BYTES). */
  logStreamMaxBytes?: number;
  /** How long start-up keeps trying to reach the server before failing (default 30 s). */
  connectTimeoutMs?: number;
  /** Total time `publish` retries transient errors such as a restarting server (default 10 s). */
  publishRetryMs?: number;
  /** How long shutdown waits for in-flight handlers before leaving them un-acked (default 10 s). */
  shutdownTimeoutMs?: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
