import { RawBodyRequest } from '@nestjs/common';
import { isObject, JsonObject, ReceivedDelivery } from '@kiln/forge';
import { Request } from 'express';
import { headersWithSecrets } from '../http/secret-headers.middleware';
import { InvalidInputError, UnsupportedMediaTypeError } from '@kiln/errors';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A `\u0000` escape in JSON text: one not preceded by an odd number of backslashes (`\\u0000` is text). */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * The delivery inside a request the body parsers have read: JSON, or GitHub's form-encoded
 * `payload=<json>`. The raw bytes are kept as text for signature checks, decoded strictly so the
 * text re-encodes to exactly the bytes the provider signed.
 */
export function readDelivery(req: RawBodyRequest<Request>): ReceivedDelivery {
  const type = req.is([JSON_TYPE, FORM_TYPE]);
  if (!type) {
    const given = req.headers['content-type'];
    throw new UnsupportedMediaTypeError(
      `Content-Type must be ${JSON_TYPE} or ${FORM_TYPE} (GitHub's payload= form), not ${given ? `"${given}"` : 'missing'}`,
    );
  }
  if (!req.rawBody || req.rawBody.length === 0) throw new InvalidInputError('the body is empty');
  let rawBody: string;
  try {
    rawBody = utf8.decode(req.rawBody);
  } catch {
    // TextDecoder's error says nothing more than this.
    throw new InvalidInputError('the body is not valid UTF-8');
  }
  if (type === JSON_TYPE) assertNoNul(rawBody);
  const payload = type === JSON_TYPE ? (req.body as unknown) : formPayload(req.body);
  if (!isObject(payload)) throw new InvalidInputError('the delivery must be a JSON object');
  return { headers: headersWithSecrets(req), rawBody, payload };
}

function formPayload(body: unknown): JsonObject {
  const field = isObject(body) ? body.payload : undefined;
  if (typeof field !== 'string')
    throw new InvalidInputError('a form-encoded delivery needs a "payload" field');
  assertNoNul(field);
  try {
    return JSON.parse(field) as JsonObject;
  } catch (error) {
    throw new InvalidInputError(`the "payload" field is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * PostgreSQL text cannot hold NUL: a repository name or ref carrying one could be neither routed
 * nor stored, and the statement's failure would be a 500.
 */
function assertNoNul(json: string): void {
  if (json.includes('\\u0000') && ESCAPED_NUL.test(json)) {
    throw new InvalidInputError('the delivery contains a NUL character (\\u0000), which Kiln cannot store');
  }
}
