import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../errors/error-response';

/** The error statuses the API answers with, each with the one error shape. */
export const ERROR_STATUSES = {
  400: 'Malformed request (invalid JSON, id or parameter); details name each bad field',
  401: 'Missing, invalid or expired token',
  403: 'The token lacks a role this route requires',
  404: 'No such resource for this tenant',
  409: 'The resource is not in a state that allows this',
  413: 'The request body is larger than 5 MB',
  422: 'An idempotency key was reused with a different request',
  429: 'Too many requests for this caller and route group; retry after the Retry-After header (seconds)',
  500: 'Unexpected error (logged with the request id)',
  503: 'Redis or PostgreSQL refused the work, or the process has too many request bytes in flight (then with Retry-After); nothing was accepted, try again later',
} as const;

export type ErrorStatus = keyof typeof ERROR_STATUSES;

/**
 * Documents error statuses of a route (or of every route of a controller) with ErrorResponse.
 * A status given as `[status, description]` says what it means for this route.
 * Statuses every route shares (401, 429, 500, 503, 400 for bodies) are added to the whole
 * document by src/openapi/document-completion.ts; this decorator is for the rest.
 */
export function ApiErrors(...statuses: (ErrorStatus | [ErrorStatus, string])[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((entry) => {
      const [status, description] = Array.isArray(entry) ? entry : [entry, ERROR_STATUSES[entry]];
      return ApiResponse({ status, description, type: ErrorResponse });
    }),
  );
}
