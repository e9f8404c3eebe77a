import { NextFunction, Request, Response } from 'express';
import { errorBody } from './error-body';

/** What body-parser attaches to the errors it raises (http-errors). */
interface BodyParserError extends Error {
  type: string;
  status: number;
}

/**
 * Answers what body-parser refuses (too large, not JSON, aborted) with the error body and a
 * message that says what to fix. Nest would turn a JSON syntax error into a bare 400 before any
 * exception filter saw it, so this sits right after the parsers. An error a JSON reviver threw
 * keeps its own class and goes on to the exception filter.
 *
 * @param limit the body limit as configured (`1mb`), and `setting`, the variable that sets it.
 */
export function bodyParserErrors(limit: string, setting: string) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (!isBodyParserError(error) || isReviverError(error)) return next(error);
    res.status(error.status).json(errorBody(error.status, describe(error, limit, setting)));
  };
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  return typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}

function isReviverError(error: BodyParserError): boolean {
  return error.type === 'entity.parse.failed' && !(error instanceof SyntaxError);
}

function describe(error: BodyParserError, limit: string, setting: string): string {
  switch (error.type) {
    case 'entity.too.large':
      return `the body is larger than the ${limit} limit (${setting})`;
    case 'entity.parse.failed':
      return `the body is not valid JSON: ${error.message}`;
    case 'request.aborted':
      return 'the client aborted the request before the body was complete';
    default:
      return error.message;
  }
}
