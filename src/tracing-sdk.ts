import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage } from 'node:http';

/**
 * The OpenTelemetry SDK and its instrumentations, loaded by tracing.ts only when traces are on
 * (together some 17 MB of heap a process without traces does without).
 */

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

export interface TracingOptions {
  /** Replaces the OTLP exporter (e.g. an InMemorySpanExporter); spans are then exported one by one. */
  exporter?: SpanExporter;
}

export function startTracing(options: TracingOptions = {}): NodeSDK {
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : // OTLP over HTTP/JSON; the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS, the processor OTEL_BSP_*.
      new BatchSpanProcessor(new OTLPTraceExporter());
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'queue-service',
    spanProcessors: [processor],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
      }),
      // Bull polls Redis all the time: only commands made inside a request or a job are traced.
      // The command name only: Bull's scripts take the job's data (the payload) as arguments.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command: string) => command }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return sdk;
}
