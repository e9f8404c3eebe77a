/** Domain errors of the internal API; InternalExceptionFilter maps each class to its HTTP status once. */
export abstract class ArtifactServiceError extends Error {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: a parameter, header or body that cannot be accepted; the message says which and why. */
export class InvalidRequestError extends ArtifactServiceError {
  readonly status = 400;
}

/** 401: the internal token is required and was missing or wrong. */
export class InvalidInternalTokenError extends ArtifactServiceError {
  readonly status = 401;
}

/** 404: no such run in that project, or no such artifact. */
export class NotFoundError extends ArtifactServiceError {
  readonly status = 404;
}

/** 409: the file's object path collides with another file of the artifact (`a` and `a/b`). */
export class ObjectPathConflictError extends ArtifactServiceError {
  readonly status = 409;
}

/** 413: the body is larger than KILN_ARTIFACT_MAX_BYTES. */
export class ArtifactTooLargeError extends ArtifactServiceError {
  readonly status = 413;

  constructor(readonly maxBytes: number) {
    super(`the artifact file is larger than the limit of ${maxBytes} bytes`, { max_bytes: maxBytes });
  }
}

/** 400: the client stopped sending before the body was complete; nothing was stored. */
export class UploadAbortedError extends ArtifactServiceError {
  readonly status = 400;

  constructor() {
    super('the upload ended before its body was complete; nothing was stored');
  }
}

/** 413: the cache archive is larger than KILN_CACHE_MAX_BYTES; the entry is not saved. */
export class CacheTooLargeError extends ArtifactServiceError {
  readonly status = 413;

  constructor(readonly maxBytes: number) {
    super(`the cache archive is larger than the limit of ${maxBytes} bytes`, { max_bytes: maxBytes });
  }
}
