import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** The JSON body parser's limit: a batch of 1000 jobs must fit (payloads are bounded per field). */
export const JSON_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

/**
 * Load shedding on the bytes of request bodies in flight in this process. A body is held as
 * text, then as parsed JSON, validated objects and records until its response is sent: several
 * times its size in heap. Thirty concurrent 4.5 MB batches took a process past 1 GB, and past a
 * heap limit to a crash. Past the budget a request is refused at once, before its body is read,
 * with 503 and `Retry-After`; nothing of it was accepted. A request is always let in when none
 * is in flight, so a body up to the parser's limit can always be sent.
 *
 * A body's size is its `Content-Length`; a chunked one (no length) counts as the parser's limit.
 */
export class RequestBytesAdmission {
  private inFlightBytes = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly onRefused: () => void = () => undefined,
  ) {}

  readonly middleware = (request: Request & { id?: string }, response: Response, next: NextFunction): void => {
    const bytes = bodyBytes(request);
    if (bytes === 0) {
      next();
      return;
    }
    if (this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.budgetBytes) {
      this.onRefused();
      this.refuse(request, response);
      return;
    }
    this.inFlightBytes += bytes;
    // 'close' follows the end of the response, or a connection dropped before it: once either way.
    response.once('close', () => {
      this.inFlightBytes -= bytes;
    });
    next();
  };

  private refuse(request: Request & { id?: string }, response: Response): void {
    // The body is read and dropped, not parsed: the client gets its answer on a usable connection.
    request.resume();
    response.setHeader('Retry-After', '1');
    response.status(HttpStatus.SERVICE_UNAVAILABLE).json({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: 'Too many request bytes are being processed; nothing was accepted, try again shortly',
      requestId: String(request.id ?? ''),
    });
  }
}

function bodyBytes(request: Request): number {
  const length = request.headers['content-length'];
  if (length !== undefined) {
    const bytes = Number(length);
    // Over the limit the parser answers 413 without reading it; a malformed length, 400.
    return Number.isSafeInteger(bytes) && bytes >= 0 ? Math.min(bytes, JSON_BODY_LIMIT_BYTES) : 0;
  }
  return request.headers['transfer-encoding'] ? JSON_BODY_LIMIT_BYTES : 0;
}
