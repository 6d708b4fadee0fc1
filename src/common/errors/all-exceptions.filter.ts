import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { FieldProblem } from './validation-details';
import { ErrorResponse, ValidationFailedException } from './error-response';
import { isDatabaseUnavailable, isRedisOutOfMemory, isRedisUnavailable } from './unavailable-errors';

/**
 * The one error path: client errors keep their status and message; anything unexpected is
 * logged once with the request id and answered as a bare 500. No stack trace ever leaves.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const requestId = String(request.id ?? '');
    const body = this.toBody(exception, requestId);
    if (body.statusCode >= 500 && body.statusCode !== HttpStatus.SERVICE_UNAVAILABLE) {
      this.logger.error({ err: exception, requestId, path: request.path }, 'Unhandled error');
    } else if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE && !(exception instanceof HttpException)) {
      this.logger.warn({ err: exception, requestId, path: request.path }, 'A backing store is unavailable');
    }
    if (!response.headersSent) response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorResponse {
    if (exception instanceof ValidationFailedException) {
      return compose(HttpStatus.BAD_REQUEST, exception.message, requestId, exception.details);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const { message, details } = readHttpException(exception);
      const hidden = status >= 500 && status !== HttpStatus.SERVICE_UNAVAILABLE;
      return compose(status, hidden ? 'Internal server error' : message, requestId, details);
    }
    if (isRedisOutOfMemory(exception)) {
      return compose(HttpStatus.SERVICE_UNAVAILABLE, 'The queue is out of memory; nothing was accepted, try again later', requestId);
    }
    if (isDatabaseUnavailable(exception)) {
      return compose(HttpStatus.SERVICE_UNAVAILABLE, 'The database is unavailable; nothing was accepted, try again later', requestId);
    }
    if (isRedisUnavailable(exception)) {
      return compose(HttpStatus.SERVICE_UNAVAILABLE, 'The queue is unavailable; nothing was accepted, try again later', requestId);
    }
    const clientStatus = readClientStatus(exception);
    if (clientStatus) {
      // body-parser and similar middleware errors (malformed JSON, payload too large).
      return compose(clientStatus, (exception as Error).message, requestId);
    }
    return compose(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error', requestId);
  }
}

function compose(statusCode: number, message: string, requestId: string, details?: FieldProblem[]): ErrorResponse {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    ...(details?.length ? { details } : {}),
    requestId,
  };
}

function readHttpException(exception: HttpException): { message: string; details?: FieldProblem[] } {
  const response = exception.getResponse();
  if (typeof response === 'string') return { message: response };
  const { message, details } = response as { message?: unknown; details?: FieldProblem[] };
  if (Array.isArray(message)) {
    return { message: 'Validation failed', details: message.map((text) => ({ field: '', message: String(text) })) };
  }
  return { message: typeof message === 'string' ? message : exception.message, details };
}

function readClientStatus(exception: unknown): number | undefined {
  const candidate = exception as { status?: unknown; expose?: unknown } | null;
  const status = candidate?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && candidate?.expose === true ? status : undefined;
}
