import { InvalidInputError, PayloadTooLargeError } from '@kiln/errors';

/** 413 for an upload over its limit; `what` names the body (the artifact file, the cache archive). */
export function uploadTooLarge(what: string, maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`${what} is larger than the limit of ${maxBytes} bytes`, {
    max_bytes: maxBytes,
  });
}

/** 400 for an upload the client stopped sending before its body was complete. */
export function uploadAborted(): InvalidInputError {
  return new InvalidInputError('the upload ended before its body was complete; nothing was stored');
}
