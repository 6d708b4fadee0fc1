import { getSchemaPath, type OpenAPIObject, type OperationObject, type ResponseObject } from '@nestjs/swagger';
import { ERROR_STATUSES, ErrorStatus } from '../common/openapi/api-errors.decorator';
import { ErrorResponse } from '../common/errors/error-response';
import { jobSubmissionSchemas } from '../jobs/dto/job-submission.schema';
import { isThrottledPath } from '../rate-limit/api/api-throttler.guard';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

export function errorResponse(status: ErrorStatus, description: string = ERROR_STATUSES[status]): ResponseObject {
  return { description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } } };
}

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before the next request', schema: { type: 'integer', minimum: 0 } },
} as const;

/**
 * The statuses every route answers with by the way the service is put together, added to
 * each operation of the controllers (a route's own description of a status is kept):
 * - 400: the JSON body parser refuses a malformed body on any route; 413 one over 5 MB.
 * - 401: every route with a bearer requirement (the JWT guard is global).
 * - 429 and 503: API limits are counted in Redis on every throttled route; over the limit is
 *   429, and Redis refusing the count (out of memory) is 503.
 * - 500: anything unexpected.
 * Routes without a bearer requirement are open: they get an explicit empty `security`.
 */
function completeOperation(path: string, operation: OperationObject): void {
  const secured = (operation.security ?? []).length > 0;
  const add = (status: ErrorStatus, response: ResponseObject = errorResponse(status)) => {
    operation.responses[status] ??= response;
  };
  add(400);
  if (operation.requestBody) add(413);
  if (secured) add(401);
  if (isThrottledPath(path)) {
    add(429, { ...errorResponse(429), headers: RETRY_AFTER });
    add(503);
  }
  add(500);
  if (!secured) operation.security = [];
}

/** Fills in what @nestjs/swagger cannot derive from the decorators (see completeOperation). */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) completeOperation(path, operation);
    }
  }
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...jobSubmissionSchemas() },
  };
  return document;
}
