/**
 * Errors a request can end in; HttpErrorFilter answers each with its status once. The message is
 * the answer's: written for the caller, it must not carry internals (paths, object keys, SQL). What
 * only operators should read goes into `cause`, which is never sent.
 */
export abstract class HttpError extends Error {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One bad field of a request, as `details` lists them. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** 400: the request is malformed or names something that cannot be. */
export class InvalidInputError extends HttpError {
  readonly status = 400;

  /** A 400 about one field, listed in `details` so clients can point at it. */
  static forField(field: string, message: string): InvalidInputError {
    const problems: FieldProblem[] = [{ field, message }];
    return new InvalidInputError(message, problems);
  }
}

/** 401: no credentials, or credentials that are wrong, revoked or expired. */
export class UnauthenticatedError extends HttpError {
  readonly status = 401;
}

/** 403: the caller may see the thing but not do this to it. */
export class ForbiddenError extends HttpError {
  readonly status = 403;
}

/** 404: does not exist, or exists where the caller may not know about it. */
export class NotFoundError extends HttpError {
  readonly status = 404;
}

/** 409: the request clashes with the current state (a taken name, a finished run). */
export class ConflictError extends HttpError {
  readonly status = 409;
}

/** 410: it existed, and is gone for good (an expired artifact). */
export class GoneError extends HttpError {
  readonly status = 410;
}

/** 413: the body is larger than a limit; the answer closes the connection instead of reading the rest. */
export class PayloadTooLargeError extends HttpError {
  readonly status = 413;
}

/** 415: a body of a content type the route does not read. */
export class UnsupportedMediaTypeError extends HttpError {
  readonly status = 415;
}

/** 416: a byte range beyond the end of what was asked for. */
export class RangeNotSatisfiableError extends HttpError {
  readonly status = 416;
}

/** 429: the caller used up a budget; Retry-After says when to come back. */
export class TooManyRequestsError extends HttpError {
  readonly status = 429;
}

/** 503: a dependency is down for now; the same request may succeed later. */
export class ServiceUnavailableError extends HttpError {
  readonly status = 503;
}
