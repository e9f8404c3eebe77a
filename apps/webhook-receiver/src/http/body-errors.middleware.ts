import { NextFunction, Request, Response } from 'express';
import { errorBody } from './error-body';

/** What body-parser attaches to the errors it raises (http-errors). */
interface BodyParserError extends Error {
  type: string;
  status: number;
  expose?: boolean;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  return typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}

/**
 * Body-parser fails before any route runs, so its errors never reach Nest's exception filters;
 * this express error handler gives them the same JSON shape and a message that says what to fix.
 */
export function bodyErrorsMiddleware(limit: string) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (!isBodyParserError(error)) return next(error);
    res.status(error.status).json(errorBody(error.status, describe(error, limit)));
  };
}

function describe(error: BodyParserError, limit: string): string {
  switch (error.type) {
    case 'entity.too.large':
      return `the body is larger than the ${limit} limit (KILN_WEBHOOK_BODY_LIMIT)`;
    case 'entity.parse.failed':
      return `the body is not valid JSON: ${error.message}`;
    case 'request.aborted':
      return 'the client aborted the request before the body was complete';
    default:
      return error.message;
  }
}
