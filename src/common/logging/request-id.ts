import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A client's X-Request-Id lands in every log line and error body of its request: only ids of
 * this form are kept (letters, digits, `.`, `_`, `:`, `-`; 1 to 128), anything else gets a fresh UUID.
 */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Runs before body parsing, so that even a request with a malformed body gets an id that
 * the error response and the logs share. A well-formed incoming X-Request-Id is kept.
 */
export function assignRequestId(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  const incoming = request.headers['x-request-id'];
  request.id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  response.setHeader('x-request-id', request.id);
  next();
}
