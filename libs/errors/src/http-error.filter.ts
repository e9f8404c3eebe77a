import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { ErrorBody, errorBody } from './error-body';
import { HttpError } from './http.errors';

export interface HttpErrorFilterOptions {
  /**
   * The app's own routes (`/^\/api\//`). Elsewhere (health checks, metrics) a Nest HttpException
   * keeps Nest's own answer, which probes and tools expect.
   */
  routes: RegExp;
  /** Errors of the libraries the app uses (storage, database) as HTTP errors; undefined for any other. */
  translate?: (exception: unknown) => HttpError | undefined;
}

/**
 * The one place errors become HTTP answers, `{statusCode, error, message, details?}`, in every
 * app: HttpError by its status, Nest's HttpException (validation pipes, guards) by its status and
 * message, what `translate` knows, the 4xx errors express middleware raises. Anything else is a
 * bug: its stack is logged and the caller gets a 500 that says nothing of it.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(private readonly options: HttpErrorFilterOptions) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // A stream (download, SSE) failed midway: the status is gone. Cutting the connection tells
      // the client the body is incomplete, where ending it would pass a truncated body as whole.
      this.logger.warn({ path: req.path, error: String(exception) }, 'response failed after it started');
      res.destroy();
      return;
    }
    if (exception instanceof HttpException && !this.options.routes.test(req.path)) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const body = this.toBody(exception, req);
    // The rest of an oversized body is not worth reading: answer, then drop the connection.
    if (body.statusCode === 413) res.setHeader('Connection', 'close');
    // A handler may have set another type (text/plain for logs) before it failed.
    res.status(body.statusCode).type('application/json').json(body);
  }

  private toBody(exception: unknown, req: Request): ErrorBody {
    const known = exception instanceof HttpError ? exception : this.options.translate?.(exception);
    if (known) return errorBody(known.status, known.message, known.details);
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (isExposedClientError(exception)) return errorBody(exception.status, exception.message);
    this.logger.error(
      {
        path: req.path,
        method: req.method,
        error: exception instanceof Error ? exception.stack : String(exception),
      },
      'unexpected error',
    );
    return errorBody(500, 'internal error; the details were logged');
  }
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return errorBody(status, response);
  const { message, details } = response as { message?: unknown; details?: unknown };
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : exception.message;
  return errorBody(status, text, details);
}

/** An http-errors 4xx (express and its middleware raise them) whose message is meant for the client. */
function isExposedClientError(error: unknown): error is Error & { status: number } {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  return (
    error instanceof Error && typeof status === 'number' && status >= 400 && status < 500 && expose === true
  );
}
