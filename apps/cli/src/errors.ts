/** Exit codes scripts can rely on (documented in `kiln --help`). */
export const ExitCode = {
  ok: 0,
  /** The run failed or was cancelled, or a definition is invalid. */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** The server could not be reached, refused the token, or answered with an error. */
  server: 3,
} as const;

/** An error the CLI reports in one line and turns into its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

export class FailedError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}

/** Field problems the API listed in `details` (validation errors, definition errors). */
export interface ApiProblem {
  path?: string;
  field?: string;
  line?: number;
  column?: number;
  message: string;
}

export class ServerError extends CliError {
  constructor(
    message: string,
    readonly status?: number,
    readonly details?: unknown,
  ) {
    super(message, ExitCode.server);
  }

  /** `details` when it is a list of problems, as the API gives for a 400. */
  problems(): ApiProblem[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is ApiProblem => typeof d === 'object' && d !== null && typeof d.message === 'string',
    );
  }
}

export class AuthError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.server);
  }
}
