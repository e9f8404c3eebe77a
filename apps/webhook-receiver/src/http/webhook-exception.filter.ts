import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { ErrorBody, errorBody } from './error-body';
import { WebhookError } from './webhook.errors';

const WEBHOOK_ROUTES = /^\/(webhooks|pipelines)\//;

/**
 * The one place errors become HTTP answers: `{statusCode, error, message, details?}` on webhook
 * routes. Health and metrics routes keep Nest's own answer, which probes and tools expect.
 */
@Catch()
export class WebhookExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(WebhookExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException && !WEBHOOK_ROUTES.test(req.path)) {
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    const body = this.toBody(exception, req);
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, req: Request): ErrorBody {
    if (exception instanceof WebhookError)
      return errorBody(exception.status, exception.message, exception.details);
    if (exception instanceof HttpException) return fromHttpException(exception);
    this.logger.error(
      { path: req.path, error: exception instanceof Error ? exception.stack : String(exception) },
      'unexpected error while handling a delivery',
    );
    return errorBody(500, 'internal error; the details were logged');
  }
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return errorBody(status, response);
  const { message } = response as { message?: unknown };
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : exception.message;
  return errorBody(status, text);
}
