import { HttpError, InvalidInputError, NotFoundError, RangeNotSatisfiableError } from '@kiln/errors';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  ObjectSizeMismatchError,
} from './storage.errors';

/**
 * The storage errors a request can cause, as the answers of an HttpErrorFilter's `translate`;
 * undefined for any other error. A missing object is a 404 that does not name its key.
 */
export function storageHttpError(error: unknown): HttpError | undefined {
  if (error instanceof ObjectNotFoundError) return new NotFoundError('the stored object no longer exists');
  if (error instanceof InvalidRangeError)
    return new RangeNotSatisfiableError(
      `range starting at byte ${error.start} is beyond the end of the stored object`,
    );
  if (error instanceof InvalidObjectKeyError || error instanceof ObjectSizeMismatchError)
    return new InvalidInputError(error.message);
  return undefined;
}
