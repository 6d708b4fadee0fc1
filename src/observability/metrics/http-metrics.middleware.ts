import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ServiceMetrics } from './service-metrics';

/** Requests no route matched (404s of unknown paths): one label value, never the path itself. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts every answered request by method, route template (`/jobs/:id`, never the id) and
 * status, including those refused before a handler ran (401, 429), since it watches the
 * response finish rather than the handler.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: ServiceMetrics) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stop = this.metrics.httpDuration.startTimer();
    response.once('finish', () => {
      const route = routeTemplateOf(request);
      const method = request.method;
      stop({ method, route });
      this.metrics.httpRequests.inc({ method, route, status: String(response.statusCode) });
    });
    next();
  }
}

function routeTemplateOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : UNMATCHED_ROUTE;
}
