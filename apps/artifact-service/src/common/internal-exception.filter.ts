import { InvalidObjectKeyError, ObjectNotFoundError, ObjectSizeMismatchError } from '@kiln/storage';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { ArtifactServiceError, ArtifactTooLargeError, CacheTooLargeError } from './errors';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/**
 * The one place errors become HTTP answers: `{statusCode, error, message, details?}` on the
 * internal API. Health and metrics paths keep Nest's own answer, which probes expect.
 */
@Catch()
export class InternalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('InternalExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // A download failed midway: the status is gone, all that is left is to stop.
      this.logger.warn({ path: req.path, error: String(exception) }, 'response failed after it started');
      res.destroy();
      return;
    }
    if (exception instanceof HttpException && !req.path.startsWith('/internal')) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    // The rest of an oversized body is not worth reading: answer, then drop the connection.
    if (exception instanceof ArtifactTooLargeError || exception instanceof CacheTooLargeError)
      res.setHeader('Connection', 'close');
    const body = this.toBody(exception, req);
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, req: Request): ErrorBody {
    if (exception instanceof ArtifactServiceError)
      return body(exception.status, exception.message, exception.details);
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (exception instanceof ObjectNotFoundError) return body(404, 'the stored object no longer exists');
    if (exception instanceof InvalidObjectKeyError) return body(400, exception.message);
    if (exception instanceof ObjectSizeMismatchError) return body(400, exception.message);
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

function fromHttpException(exception: HttpException): ErrorBody {
  const response = exception.getResponse();
  if (typeof response === 'string') return body(exception.getStatus(), response);
  const { message } = response as { message?: unknown };
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : exception.message;
  return body(exception.getStatus(), text);
}
