import { STATUS_CODES } from 'node:http';

/** Every error answer of every app: `{statusCode, error, message, details?}` (the OpenAPI document's shape). */
export interface ErrorBody {
  statusCode: number;
  /** The status's reason phrase: a stable word for programs (`Not Found`), unlike the message. */
  error: string;
  message: string;
  details?: unknown;
}

export function errorBody(statusCode: number, message: string, details?: unknown): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(details === undefined ? {} : { details }),
  };
}
