import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { assignRequestId } from './common/logging/request-id';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { JSON_BODY_LIMIT_BYTES, RequestBytesAdmission } from './common/http/request-bytes-admission';
import { createValidationPipe } from './common/validation/validation.pipe';
import { AppConfig } from './config/app-config';
import { ServiceMetrics } from './observability/metrics/service-metrics';
import { workerRoutesOnly } from './observability/worker-routes';
import { serveOpenApiDocs } from './openapi/openapi-document';

/** Everything around the modules that the service and its e2e tests share. */
export function configureApp(app: INestApplication): void {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  app.use(assignRequestId);
  // A worker process serves its probes and metrics, nothing else.
  if (!config.servesApi) app.use(workerRoutesOnly);
  // Before any body is read: past the budget of bytes in flight a request is shed with 503.
  const metrics = app.get(ServiceMetrics);
  app.use(new RequestBytesAdmission(config.requestBytesInFlightMax, () => metrics.requestsShed.inc()).middleware);
  (app as NestExpressApplication).useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
  app.use(helmet({ contentSecurityPolicy: false }));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  if (config.swaggerEnabled && config.servesApi) serveOpenApiDocs(app);
}
