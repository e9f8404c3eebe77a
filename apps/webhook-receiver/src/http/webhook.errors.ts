/** Domain errors a delivery can end in; WebhookExceptionFilter maps each class to its HTTP status once. */
export abstract class WebhookError extends Error {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the body or a header cannot be read as a delivery. */
export class MalformedDeliveryError extends WebhookError {
  readonly status = 400;
}

/** 401: the signature or token is missing or does not match the project's webhook secret. */
export class SignatureRejectedError extends WebhookError {
  readonly status = 401;
}

/** 404: the route names a pipeline or provider that does not exist. */
export class WebhookTargetNotFoundError extends WebhookError {
  readonly status = 404;
}

/** 415: a body that is neither JSON nor GitHub's form-encoded `payload=`. */
export class UnsupportedContentTypeError extends WebhookError {
  readonly status = 415;
}

/** 503: the run requests could not be queued; the provider should deliver again. */
export class RunQueueUnavailableError extends WebhookError {
  readonly status = 503;
}
