import { Prisma } from '@kiln/db';
import { ConflictError, HttpError, HttpErrorFilter, InvalidInputError, NotFoundError } from '@kiln/errors';
import { storageHttpError } from '@kiln/storage';

/** The API's error filter: the error body on /api; storage, database and refused-key errors as 4xx. */
export function apiErrorFilter(): HttpErrorFilter {
  return new HttpErrorFilter({
    routes: /^\/api/,
    translate: (error) => storageHttpError(error) ?? databaseHttpError(error) ?? forbiddenKeyHttpError(error),
  });
}

/** A JSON key that could tamper with object prototypes; the API answers it with a 400 naming the key. */
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

function forbiddenKeyHttpError(error: unknown): HttpError | undefined {
  if (!(error instanceof ForbiddenKeyError)) return undefined;
  return InvalidInputError.forField(error.field, error.message);
}

/** A unique or missing row the services did not check first (a race between two requests). */
function databaseHttpError(error: unknown): HttpError | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (error.code === 'P2002') return new ConflictError('a resource with these values already exists');
  if (error.code === 'P2025') return new NotFoundError('resource not found');
  return undefined;
}
