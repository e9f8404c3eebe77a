/** Domain errors the API answers with; ApiExceptionFilter maps each class to its HTTP status once. */
export abstract class ApiError extends Error {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or names something that cannot be. */
export class InvalidInputError extends ApiError {
  readonly status = 400;
}

/** 401: no credentials, or credentials that are wrong, revoked or expired. */
export class UnauthenticatedError extends ApiError {
  readonly status = 401;
}

/** 403: the caller may see the thing but not do this to it. */
export class ForbiddenError extends ApiError {
  readonly status = 403;
}

/** 404: does not exist, or exists where the caller may not know about it. */
export class NotFoundError extends ApiError {
  readonly status = 404;

  constructor(what: string, id?: string) {
    super(id === undefined ? `${what} not found` : `${what} ${id} not found`);
  }
}

/** 409: the request clashes with the current state (a taken name, a finished run). */
export class ConflictError extends ApiError {
  readonly status = 409;
}

/** 429: the caller used up a budget (failed authentications); Retry-After says when to come back. */
export class TooManyRequestsError extends ApiError {
  readonly status = 429;
}

/** 416: a byte range beyond the end of a log. */
export class RangeNotSatisfiableError extends ApiError {
  readonly status = 416;
}

/** 410: it existed, and is gone for good (an expired artifact). */
export class GoneError extends ApiError {
  readonly status = 410;
}

/** A JSON key that could tamper with object prototypes; body-parser turns it into a 400. */
export class ForbiddenKeyError extends Error {
  constructor(field: string) {
    super(`property ${field} is not allowed`);
    this.name = 'ForbiddenKeyError';
  }

  // body-parser strips an error's own properties (all but the message), so the field is read back from it.
  get field(): string {
    return this.message.split(' ')[1] ?? '';
  }
}
