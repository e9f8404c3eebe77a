import { NextFunction, Request, Response } from 'express';
import { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Headers that carry a webhook secret (GitLab sends the secret itself) or a value derived from it. */
const SECRET_HEADERS = ['x-gitlab-token', 'x-hub-signature-256', 'x-hub-signature'];
const captured = new WeakMap<IncomingMessage, IncomingHttpHeaders>();

/**
 * Takes secret headers out of `req.headers` before the request logger (registered later) sees
 * them, so no log line ever holds a webhook secret; the delivery code gets them back through
 * `headersWithSecrets`.
 */
export function secretHeadersMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const secrets: IncomingHttpHeaders = {};
  for (const name of SECRET_HEADERS) {
    if (req.headers[name] === undefined) continue;
    secrets[name] = req.headers[name];
    req.headers[name] = '[redacted]';
  }
  captured.set(req, secrets);
  next();
}

/** The request's headers as the client sent them, secret ones included. */
export function headersWithSecrets(req: IncomingMessage): IncomingHttpHeaders {
  return { ...req.headers, ...captured.get(req) };
}
