import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** What a worker process (APP_ROLE=worker) serves on its port: its probes and its metrics. */
const WORKER_PATHS = /^\/(?:health\/(?:live|ready|startup)|metrics)\/?$/;

/** Every other path answers 404 in the one error shape, as if the routes did not exist. */
export function workerRoutesOnly(request: Request & { id?: string }, response: Response, next: NextFunction): void {
  if (WORKER_PATHS.test(request.path)) {
    next();
    return;
  }
  response.status(HttpStatus.NOT_FOUND).json({
    statusCode: HttpStatus.NOT_FOUND,
    error: 'Not Found',
    message: `Cannot ${request.method} ${request.path}`,
    requestId: String(request.id ?? ''),
  });
}
