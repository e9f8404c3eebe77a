import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEFAULT_LOG_STREAM_MAX_BYTES } from '@kiln/contracts';
import { EnvBoolean } from './load-config';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Variables every app reads. */
export class CommonEnv {
  @IsString() @Matches(/^(nats|tls):\/\//, { message: 'must be a nats:// URL' })
  NATS_URL: string = 'nats://127.0.0.1:4222';

  /** NATS user and password (the user of this app's role); they take precedence over credentials in NATS_URL. */
  @IsOptional() @IsString() KILN_NATS_USER?: string;
  @IsOptional() @IsString() KILN_NATS_PASSWORD?: string;

  /** Prepended to NATS subjects, streams and consumers so installations can share a server. */
  @IsOptional() @Matches(/^([a-z0-9_-]+\.)?$/, { message: 'must be empty or a lowercase token ending with "."' })
  KILN_NATS_PREFIX: string = '';

  @IsIn(LOG_LEVELS) KILN_LOG_LEVEL: string = 'info';

  /**
   * The KILN_LOGS stream's size (bytes; default 8 GiB), which JetStream reserves of its storage:
   * the same on every app. Logs wait there until archived; past it the oldest chunks are dropped.
   */
  @IsInt() @Min(64 * 1024 * 1024) @Max(2 ** 43) KILN_LOG_STREAM_MAX_BYTES: number = DEFAULT_LOG_STREAM_MAX_BYTES;
}

/** Apps that own tables read these. */
export class DatabaseEnv {
  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgresql:// URL' })
  DATABASE_URL!: string;

  @IsInt() @Min(1) @Max(200) KILN_DB_POOL_MAX: number = 10;

  /** PostgreSQL cancels a statement that runs, and ends a transaction left idle, longer than this (ms; 0: never). */
  @IsInt() @Min(0) @Max(3_600_000) KILN_DB_STATEMENT_TIMEOUT_MS: number = 60_000;

  /** Apply pending migrations at start-up (production may run `prisma migrate deploy` instead). */
  @EnvBoolean() KILN_MIGRATE_ON_START: boolean = true;
}

/** AES-256-GCM key for secrets at rest (project secrets, webhook secrets). */
export class SecretKeyEnv {
  @IsString()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'must be 32 bytes written as 64 hex characters or 44 base64 characters',
  })
  KILN_SECRET_KEY!: string;
}

/**
 * AES-256-GCM key that seals the secrets in step dispatches (separate from KILN_SECRET_KEY): the
 * scheduler encrypts with it, executors decrypt, nothing else that reads NATS can.
 */
export class ExecutorKeyEnv {
  @IsString()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'must be 32 bytes written as 64 hex characters or 44 base64 characters',
  })
  KILN_EXECUTOR_KEY!: string;
}
