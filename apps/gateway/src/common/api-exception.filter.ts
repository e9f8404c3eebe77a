import { Prisma } from '@kiln/db';
import { InvalidObjectKeyError, InvalidRangeError, ObjectNotFoundError } from '@kiln/storage';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { ApiError, ForbiddenKeyError } from './errors';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/**
 * The one place errors become HTTP answers: `{statusCode, error, message, details?}` for the API.
 * Paths outside /api (health checks) keep Nest's own answer, which probes and tools expect.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // A stream (SSE, download) failed midway: the status is gone, all we can do is stop.
      this.logger.warn({ path: req.path, error: String(exception) }, 'response failed after it started');
      res.end();
      return;
    }
    if (exception instanceof HttpException && !req.path.startsWith('/api')) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const body = this.toBody(exception, req);
    // A handler may have set another type (text/plain for logs) before it failed.
    res.status(body.statusCode).type('application/json').json(body);
  }

  private toBody(exception: unknown, req: Request): ErrorBody {
    if (exception instanceof ApiError) return body(exception.status, exception.message, exception.details);
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (exception instanceof ForbiddenKeyError)
      return body(400, exception.message, [{ field: exception.field, message: exception.message }]);
    if (isClientHttpError(exception)) return body(exception.status, bodyParserMessage(exception));
    if (exception instanceof ObjectNotFoundError) return body(404, 'the stored object no longer exists');
    if (exception instanceof InvalidRangeError) return body(416, exception.message);
    if (exception instanceof InvalidObjectKeyError) return body(400, exception.message);
    if (exception instanceof Prisma.PrismaClientKnownRequestError) {
      if (exception.code === 'P2002') return body(409, 'a resource with these values already exists');
      if (exception.code === 'P2025') return body(404, 'resource not found');
    }
    this.logger.error(
      {
        path: req.path,
        method: req.method,
        error: exception instanceof Error ? exception.stack : String(exception),
      },
      'unexpected error',
    );
    return body(500, 'internal error; the details were logged');
  }
}

function body(statusCode: number, message: string, details?: unknown): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(details === undefined ? {} : { details }),
  };
}

/** Errors of Express middleware (body-parser: too large, malformed JSON) carry their 4xx status. */
function isClientHttpError(
  error: unknown,
): error is Error & { status: number; type?: string; limit?: number } {
  const status = (error as { status?: unknown } | null)?.status;
  return (
    error instanceof Error &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    (error as { expose?: boolean }).expose === true
  );
}

function bodyParserMessage(error: Error & { type?: string; limit?: number }): string {
  if (error.type === 'entity.too.large')
    return `request body is larger than the limit of ${error.limit} bytes`;
  if (error.type === 'entity.parse.failed') return `request body is not valid JSON: ${error.message}`;
  return error.message;
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return body(status, response);
  const { message, details } = response as { message?: unknown; details?: unknown };
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : exception.message;
  return body(status, text, details);
}
